using WebhookPortal.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace WebhookPortal.Tests.Support;

/// <summary>Stands in for the Monaco editor in bUnit: a textarea raising ValueChanged on input (the real editor is covered by Playwright).</summary>
public sealed class FakeCodeEditor : ComponentBase
{
    [Inject]
    private CodeEditorEdits Edits { get; set; } = default!;

    [Inject]
    private FakeEditorLatency Latency { get; set; } = default!;

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

    [Parameter]
    public bool AutoFocus { get; set; }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.OpenElement(0, "textarea");
        builder.AddAttribute(1, "data-testid", TestId);
        builder.AddAttribute(2, "data-language", Language);
        builder.AddAttribute(3, "value", Value);
        builder.AddAttribute(4, "oninput", EventCallback.Factory.Create<ChangeEventArgs>(this, OnInput));
        builder.CloseElement();
    }

    // Like Monaco, the new text reaches ValueChanged a little after the edit (as late as the test holds it).
    private Task OnInput(ChangeEventArgs e)
    {
        var edit = PublishAsync(e.Value?.ToString() ?? "");
        Edits.Track(edit);
        return edit;
    }

    private async Task PublishAsync(string value)
    {
        await Latency.WaitAsync();
        await ValueChanged.InvokeAsync(value);
    }
}

/// <summary>Holds the fake editor's edits on their way, as a slow connection does to Monaco's.</summary>
public sealed class FakeEditorLatency
{
    private TaskCompletionSource released = Released();

    public void Hold() => released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => released.TrySetResult();

    public Task WaitAsync() => released.Task;

    private static TaskCompletionSource Released()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }
}
