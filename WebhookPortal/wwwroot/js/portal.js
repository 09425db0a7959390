// Small browser helpers called through IJSRuntime.
window.portal = {
    // Esc closes a side panel: the page registers itself while it is shown and is told of each Escape press.
    onEscape: function (dotnet) {
        const handler = function (e) {
            if (e.key === "Escape") {
                dotnet.invokeMethodAsync("CloseOnEscape");
            }
        };
        document.addEventListener("keydown", handler);
        return { dispose: function () { document.removeEventListener("keydown", handler); } };
    },
    // The viewer's IANA time zone ("Europe/Berlin"), so the server can show stored UTC times in local time.
    timeZone: function () {
        try {
            return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
        } catch {
            return null;
        }
    },
    copyText: async function (text) {
        try {
            await navigator.clipboard.writeText(text);
            return true;
        } catch {
            // Clipboard API unavailable (plain http on a non-localhost host): fall back to a hidden textarea.
            const area = document.createElement("textarea");
            area.value = text;
            area.style.position = "fixed";
            area.style.opacity = "0";
            document.body.appendChild(area);
            area.select();
            const ok = document.execCommand("copy");
            document.body.removeChild(area);
            return ok;
        }
    }
};

// The skip link moves the keyboard focus to the page. Handled before Blazor's link interception (on the window, in the
// capture phase), which would otherwise resolve "#main-content" against the base href and navigate to the dashboard.
window.addEventListener("click", function (e) {
    const link = e.target instanceof Element ? e.target.closest(".portal-skip-link") : null;
    if (!link) {
        return;
    }

    e.preventDefault();
    e.stopImmediatePropagation();
    const main = document.getElementById("main-content");
    if (main) {
        main.focus();
    }
}, true);
