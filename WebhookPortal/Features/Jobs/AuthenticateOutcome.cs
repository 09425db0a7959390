namespace WebhookPortal.Features.Jobs;

/// <summary>A token, or why there is none: wrong credentials (401; a wrong password counts as a guess), a one-time password (403).</summary>
public sealed record AuthenticateOutcome(TokenResponse? Token, bool PasswordGuessed = false, bool MustChangePassword = false)
{
    public static readonly AuthenticateOutcome Failed = new(Token: null);

    public static readonly AuthenticateOutcome WrongPassword = new(Token: null, PasswordGuessed: true);
}
