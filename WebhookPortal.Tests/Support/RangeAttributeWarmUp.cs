using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace WebhookPortal.Tests.Support;

/// <summary>
/// <see cref="RangeAttribute"/> converts its bounds lazily on first use, and that set-up is not thread-safe: two
/// portals validating their options at the same moment can both run it on the same (cached) attribute and one
/// fails with an InvalidCastException. A portal process validates once at start; this test process starts many
/// portals at once, so every Range attribute of the portal's options is set up here, before any test runs.
/// </summary>
internal static class RangeAttributeWarmUp
{
    [ModuleInitializer]
    internal static void SetUpEveryRangeAttribute()
    {
        // Validator keeps one set of attribute instances per property (the ones options validation uses): validating a
        // default instance of every type that has a Range attribute sets them up.
        var types = typeof(Program).Assembly.GetTypes().Where(t =>
            t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false } && t.GetConstructor(Type.EmptyTypes) is not null
            && t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.IsDefined(typeof(RangeAttribute), inherit: true)));
        foreach (var type in types)
        {
            try
            {
                var instance = Activator.CreateInstance(type)!;
                Validator.TryValidateObject(instance, new ValidationContext(instance), [], validateAllProperties: true);
            }
            catch (Exception ex) when (ex is TargetInvocationException or InvalidOperationException)
            {
                // A type that cannot be made or validated bare is set up by its first real use, as before.
            }
        }
    }
}
