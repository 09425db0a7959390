using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace WebhookPortal.Tests.Support;

/// <summary>Stands in for the Monaco editor in bUnit: a textarea raising ValueChanged on input (the real editor is covered by Playwright).</summary>
public sealed class FakeCodeEditor : ComponentBase
{
    [Parameter]
    public string? Value { get; set; }

    [Parameter]
    public EventCallback<string> ValueChanged { get; set; }

    [Parameter]
    public string Language { get; set; } = "json";

    [Parameter]
    public bool ReadOnly { get; set; }

    [Parameter]
    public string Height { get; set; } = "";

    [Parameter]
    public string? TestId { get; set; }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.OpenElement(0, "textarea");
        builder.AddAttribute(1, "data-testid", TestId);
        builder.AddAttribute(2, "data-language", Language);
        builder.AddAttribute(3, "value", Value);
        builder.AddAttribute(4, "oninput", EventCallback.Factory.Create<ChangeEventArgs>(this, e => ValueChanged.InvokeAsync(e.Value?.ToString() ?? "")));
        builder.CloseElement();
    }
}
