using System.Net;
using System.Net.Http.Json;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Tokens;

public sealed class PersonalTokenTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    /// <summary>
    /// Every route of the API (and /mcp) with the scope a personal access token needs for it. A new route fails
    /// <see cref="Every_route_refuses_a_token_without_its_scope_with_403_naming_it"/> until it is listed here.
    /// </summary>
    internal static readonly Dictionary<string, string> Scopes = new()
    {
        ["POST /api/auth/verify"] = TokenScopes.Read,
        ["GET /api/workflows"] = TokenScopes.Read,
        ["GET /api/workflows/{id}"] = TokenScopes.Read,
        ["POST /api/workflows"] = TokenScopes.Write,
        ["PUT /api/workflows/{id}"] = TokenScopes.Write,
        ["DELETE /api/workflows/{id}"] = TokenScopes.Write,
        ["POST /api/workflows/execute"] = TokenScopes.Run,
        ["GET /api/workflows/{id}/triggers"] = TokenScopes.Read,
        ["POST /api/workflows/{id}/triggers/{triggerId}/enable"] = TokenScopes.Write,
        ["POST /api/workflows/{id}/triggers/{triggerId}/disable"] = TokenScopes.Write,
        ["POST /api/workflows/{id}/triggers/{triggerId}/rotate"] = TokenScopes.Write,
        ["POST /api/workflows/{id}/triggers/{triggerId}/secret"] = TokenScopes.Write,
        ["GET /api/runs"] = TokenScopes.Read,
        ["GET /api/runs/{id}"] = TokenScopes.Read,
        ["GET /api/runs/{id}/events"] = TokenScopes.Read,
        ["GET /api/runs/{id}/steps/{stepId}/output"] = TokenScopes.Read,
        ["GET /api/runs/{id}/log"] = TokenScopes.Read,
        ["POST /api/runs/{id}/cancel"] = TokenScopes.Run,
        ["POST /api/runs/{id}/approve"] = TokenScopes.Run,
        ["POST /api/runs/{id}/reject"] = TokenScopes.Run,
        ["POST /api/runs/{id}/resume"] = TokenScopes.Run,
        ["GET /api/workflows/{id}/versions"] = TokenScopes.Read,
        ["GET /api/workflows/{id}/diff"] = TokenScopes.Read,
        ["POST /api/workflows/{id}/versions/{version}/restore"] = TokenScopes.Write,
        ["GET /api/workflows/{id}/pins"] = TokenScopes.Read,
        ["PUT /api/workflows/{id}/pins/{stepId}"] = TokenScopes.Write,
        ["DELETE /api/workflows/{id}/pins/{stepId}"] = TokenScopes.Write,
        ["POST /api/workflows/{id}/steps/{stepId}/run"] = TokenScopes.Run,
        ["GET /api/prompts/{id}/diff"] = TokenScopes.Read,
        ["POST /api/prompts/{id}/versions/{version}/restore"] = TokenScopes.Write,
        ["GET /api/prompts"] = TokenScopes.Read,
        ["GET /api/prompts/{id}"] = TokenScopes.Read,
        ["POST /api/prompts"] = TokenScopes.Write,
        ["PUT /api/prompts/{id}"] = TokenScopes.Write,
        ["DELETE /api/prompts/{id}"] = TokenScopes.Write,
        ["GET /api/prompts/{id}/versions"] = TokenScopes.Read,
        ["POST /api/prompts/{id}/render"] = TokenScopes.Read,
        ["GET /api/steps"] = TokenScopes.Read,
        ["GET /mcp"] = TokenScopes.Run,
        ["POST /mcp"] = TokenScopes.Run,
        ["DELETE /mcp"] = TokenScopes.Run,
    };

    [Fact]
    public async Task Every_route_refuses_a_token_without_its_scope_with_403_naming_it()
    {
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Pattern: "/" + e.RoutePattern.RawText!.Trim('/')))
            .Where(r => (r.Pattern.StartsWith("/api", StringComparison.Ordinal) || r.Pattern.StartsWith("/mcp", StringComparison.Ordinal))
                        && r.Pattern != "/api/auth/login" && !r.Pattern.StartsWith("/api/docs", StringComparison.Ordinal))
            .SelectMany(r => (r.Endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, r.Pattern, r.Endpoint)))
            .ToList();
        var unlisted = routes.Select(r => $"{r.Method} {r.Pattern}").Where(k => !Scopes.ContainsKey(k)).ToList();
        Assert.True(unlisted.Count == 0, "routes without an expected scope in this test: " + string.Join(", ", unlisted));

        var tokens = new Dictionary<string, (string Without, string Only)>();
        foreach (var scope in TokenScopes.All)
        {
            tokens[scope] = (await MakeAsync(ApiFactory.AdminUser, TokenScopes.All.Where(s => s != scope).ToArray()), await MakeAsync(ApiFactory.AdminUser, scope));
        }
        foreach (var (method, pattern, endpoint) in routes)
        {
            var needed = Scopes[$"{method} {pattern}"];
            Assert.Equal(needed, TokenScopes.Needed(endpoint, method));
            var path = string.Join('/', pattern.Split('/').Select(part => part.StartsWith('{') ? "x" : part));

            using var without = app.WithToken(tokens[needed].Without);
            var refused = await without.SendAsync(Request(method, path));
            var problem = await refused.ProblemAsync(HttpStatusCode.Forbidden);
            Assert.Contains($"lacks the '{needed}' scope", problem["detail"]!.GetValue<string>());

            using var only = app.WithToken(tokens[needed].Only);
            var allowed = await only.SendAsync(Request(method, path));
            Assert.True(allowed.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized),
                $"{method} {pattern} with a '{needed}' token answered {(int)allowed.StatusCode}");
        }
    }

    [Fact]
    public async Task A_token_works_beside_the_login_token_is_stored_as_a_hash_and_records_its_last_use()
    {
        var token = await MakeAsync(ApiFactory.AdminUser, TokenScopes.Read, TokenScopes.Write);
        using var client = app.WithToken(token);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/workflows")).StatusCode);
        var verify = await (await client.PostAsync("/api/auth/verify", null)).JsonAsync();
        Assert.Equal(ApiFactory.AdminUser, verify["username"]!.GetValue<string>());

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var stored = await db.PersonalAccessTokens.AsNoTracking().SingleAsync(t => t.TokenHash == PersonalTokens.Hash(token));
        Assert.Equal(64, stored.TokenHash.Length);
        Assert.NotNull(stored.LastUsedAt);
        // nothing in the database holds the token itself
        Assert.DoesNotContain(token, await Store.StoredSql.EverythingAsync(app.Services));
    }

    [Fact]
    public async Task A_revoked_or_expired_token_or_one_of_a_disabled_user_is_refused_at_once()
    {
        var name = "pat-" + Guid.NewGuid().ToString("N")[..8];
        using var login = await app.NewUserAsync(name);
        var revoked = await MakeAsync(name, TokenScopes.Read);
        var expired = await MakeAsync(name, TokenScopes.Read);
        var disabledLater = await MakeAsync(name, TokenScopes.Read);
        using (var client = app.WithToken(revoked))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/workflows")).StatusCode);
        }

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var userId = await IdAsync(name);
            var id = (await db.PersonalAccessTokens.SingleAsync(t => t.TokenHash == PersonalTokens.Hash(revoked))).Id;
            Assert.True(await scope.ServiceProvider.GetRequiredService<PersonalTokens>().RevokeAsync(userId, id, default));
            await db.PersonalAccessTokens.Where(t => t.TokenHash == PersonalTokens.Hash(expired))
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }
        foreach (var token in new[] { revoked, expired })
        {
            using var client = app.WithToken(token);
            var problem = await (await client.GetAsync("/api/workflows")).ProblemAsync(HttpStatusCode.Unauthorized);
            Assert.Contains("revoked or expired", problem["detail"]!.GetValue<string>());
        }

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var user = (await users.FindByNameAsync(name))!;
            user.Disabled = true;
            Assert.True((await users.UpdateAsync(user)).Succeeded);
        }
        using (var client = app.WithToken(disabledLater))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/workflows")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await login.GetAsync("/api/workflows")).StatusCode);
    }

    [Fact]
    public async Task Only_an_administrator_may_make_an_admin_token_and_bad_requests_name_their_field()
    {
        var name = "plain-" + Guid.NewGuid().ToString("N")[..8];
        using var user = await app.NewUserAsync(name);
        await using var scope = app.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<PersonalTokens>();

        var (token, errors) = await tokens.CreateAsync(await IdAsync(name), "ci", [TokenScopes.Admin], 30, default);
        Assert.Null(token);
        Assert.Equal("Only administrators may make tokens with the 'admin' scope.", errors["scopes"]);

        (token, errors) = await tokens.CreateAsync(await IdAsync(name), " ", ["root"], 0, default);
        Assert.Null(token);
        Assert.Equal(["days", "name", "scopes"], errors.Keys.Order());
        Assert.Contains("'root' is not one", errors["scopes"]);
        (token, _) = await tokens.CreateAsync(await IdAsync(ApiFactory.AdminUser), "admin ci", [TokenScopes.Admin], 30, default);
        Assert.StartsWith(PersonalTokenHandler.Prefix, token);
    }

    [Fact]
    public async Task A_sign_in_is_audited_with_the_clients_address()
    {
        var name = "unknown-" + Guid.NewGuid().ToString("N")[..8];
        using var client = app.Anonymous();
        await client.PostAsJsonAsync("/api/auth/login", new { username = name, password = "not-it" });
        await app.LoginAsync();

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var failed = await db.AuditEntries.SingleAsync(e => e.Target == name);
        Assert.Equal(("sign-in.failed", "127.0.0.1", "api"), (failed.Action, failed.Address, failed.Detail));
        Assert.Null(failed.ActorId);
        var succeeded = await db.AuditEntries.Where(e => e.Action == "sign-in.succeeded" && e.Target == ApiFactory.AdminUser).OrderBy(e => e.Id).LastAsync();
        Assert.Equal("127.0.0.1", succeeded.Address);
        Assert.NotNull(succeeded.ActorId);
    }

    private static HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
        {
            request.Content = ApiFactory.Json("{}");
        }
        return request;
    }

    private async Task<string> IdAsync(string name)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>().FindByNameAsync(name))!.Id;
    }

    private async Task<string> MakeAsync(string userName, params string[] scopes)
    {
        await app.LoginAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var (token, errors) = await scope.ServiceProvider.GetRequiredService<PersonalTokens>()
            .CreateAsync(await IdAsync(userName), "test " + string.Join("+", scopes), scopes, 30, default);
        Assert.True(token is not null, string.Join("; ", errors.Values));
        return token!;
    }
}
