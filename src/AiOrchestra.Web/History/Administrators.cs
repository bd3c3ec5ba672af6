using AiOrchestra.Web.Users;

namespace AiOrchestra.Web.History;

/// <summary>
/// Whether an account is an administrator now (the first account is one; others are made administrators on the Users
/// page). Only administrators may download a copy of the whole database (everyone's workflows, runs and password hashes).
/// </summary>
public sealed class Administrators(AccountStates states)
{
    public async Task<bool> IsAdministratorAsync(string? userId, CancellationToken cancellationToken) =>
        !string.IsNullOrEmpty(userId) && await states.GetAsync(userId, null, cancellationToken) is { IsAdministrator: true, Disabled: false };
}
