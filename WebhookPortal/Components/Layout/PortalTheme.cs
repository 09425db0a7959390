using MudBlazor;

namespace WebhookPortal.Components.Layout;

public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        // Every colour meets WCAG AA (4.5:1) for small text, as axe checks in the E2E tests: with white text on a
        // filled chip or button and as text on the page's background. MudBlazor's defaults (#f44336, #00c853, …) do not.
        PaletteLight = new PaletteLight
        {
            Primary = "#4f46e5",
            Secondary = "#0369a1",
            Info = "#0369a1",
            Success = "#2e7d32",
            Warning = "#b45309",
            Error = "#c62828",
            TextSecondary = "rgba(0,0,0,0.68)",
            AppbarBackground = "#312e81",
            Background = "#f6f7fb",
            DrawerBackground = "#ffffff",
        },
        // Dark mode: light tints, with dark text on anything filled with them.
        PaletteDark = new PaletteDark
        {
            Primary = "#818cf8",
            PrimaryContrastText = "#11111b",
            Secondary = "#38bdf8",
            SecondaryContrastText = "#11111b",
            Info = "#7dd3fc",
            InfoContrastText = "#11111b",
            Success = "#4ade80",
            SuccessContrastText = "#11111b",
            Warning = "#fbbf24",
            WarningContrastText = "#11111b",
            Error = "#f87171",
            ErrorContrastText = "#11111b",
            AppbarBackground = "#1e1b4b",
            Background = "#12121a",
            Surface = "#1c1c27",
            DrawerBackground = "#171722",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
