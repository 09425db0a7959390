using WebhookPortal.Components.Shared;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Components.Shared;

public sealed class CodeEditorEditsTests
{
    [Fact]
    public async Task Settled_waits_for_an_edit_still_on_its_way()
    {
        var edits = new CodeEditorEdits();
        var edit = new TaskCompletionSource();
        edits.Track(edit.Task);

        var settled = edits.SettledAsync();

        // It has looked at the edit and waits for it.
        Assert.Equal(1, edits.Looks);
        Assert.False(settled.IsCompleted);

        edit.SetResult();
        await settled.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(settled.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Settled_also_waits_for_edits_tracked_while_waiting()
    {
        var edits = new CodeEditorEdits();
        var first = new TaskCompletionSource();
        var second = new TaskCompletionSource();
        edits.Track(first.Task);

        var settled = edits.SettledAsync();
        edits.Track(second.Task);
        first.SetResult();

        // Once it has looked again after the first edit, it still waits: the second is on its way.
        await Eventually.TrueAsync(() => edits.Looks >= 2, "Settled to look at the edits again after the first one arrived", TimeSpan.FromSeconds(5));
        Assert.False(settled.IsCompleted);

        second.SetResult();
        await settled.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(settled.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_failed_edit_does_not_fail_the_save_that_waits_for_it()
    {
        var edits = new CodeEditorEdits();
        edits.Track(Task.FromException(new InvalidOperationException("circuit gone")));
        var failing = new TaskCompletionSource();
        edits.Track(failing.Task);
        failing.SetException(new InvalidOperationException("editor disposed"));

        var settled = edits.SettledAsync();
        var error = await Record.ExceptionAsync(() => settled.WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.Null(error);
        Assert.True(settled.IsCompletedSuccessfully);
    }
}
