using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AiOrchestra.Web.Tests.Api;

public class AuthTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    /// <summary>Open on purpose: login, and the docs page with its script (it holds no data; the document it shows is public).</summary>
    private static bool IsOpenOnPurpose(string pattern) => pattern == "/api/auth/login" || pattern.StartsWith("/api/docs", StringComparison.Ordinal);

    [Fact]
    public async Task Every_api_route_but_login_and_docs_needs_a_token()
    {
        using var client = app.Anonymous();
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => ("/" + e.RoutePattern.RawText?.TrimStart('/')).StartsWith("/api", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Endpoint: e)))
            .ToList();
        Assert.Contains(routes, r => r.Endpoint.RoutePattern.RawText == "/api/runs/{id}/events");
        Assert.True(routes.Count >= 20, $"only {routes.Count} API routes found");

        foreach (var (method, endpoint) in routes)
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (IsOpenOnPurpose(pattern))
            {
                continue;
            }
            var path = string.Join('/', pattern.Split('/').Select(part => part.StartsWith('{') ? "x" : part));
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT")
            {
                request.Content = ApiFactory.Json("{}");
            }
            var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern} answered {(int)response.StatusCode} without a token");
        }
    }

    [Fact]
    public async Task Verify_names_the_user_and_expiry()
    {
        using var client = await app.AdminAsync();

        var response = await client.PostAsync("/api/auth/verify", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.True(body["valid"]!.GetValue<bool>());
        Assert.Equal(ApiFactory.AdminUser, body["username"]!.GetValue<string>());
        Assert.True(body["expires_at"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(50));
    }

    [Fact]
    public async Task Wrong_password_locked_account_and_unknown_user_get_the_same_answer()
    {
        using var client = app.Anonymous();
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Data.AppUser>>();
            Assert.True((await users.CreateAsync(new Data.AppUser { UserName = "forgetful" }, ApiFactory.AdminPassword)).Succeeded);
        }
        var unknown = await client.PostAsJsonAsync("/api/auth/login", new { username = "nobody-here", password = "not-it" });
        var expected = Answer(await unknown.ProblemAsync(HttpStatusCode.Unauthorized));
        // the login page says the same (one shared check)
        Assert.Equal("Wrong user name or password. After 5 failed attempts an account is locked for 5 minutes.", expected.Item3);

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var wrong = await client.PostAsJsonAsync("/api/auth/login", new { username = "forgetful", password = "not-it" });
            Assert.Equal(expected, Answer(await wrong.ProblemAsync(HttpStatusCode.Unauthorized)));
        }
        // locked now: even the right password is refused, with the same answer as a name that does not exist
        var right = await client.PostAsJsonAsync("/api/auth/login", new { username = "forgetful", password = ApiFactory.AdminPassword });

        Assert.Equal(expected, Answer(await right.ProblemAsync(HttpStatusCode.Unauthorized)));
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Data.AppUser>>();
            Assert.True(await users.IsLockedOutAsync((await users.FindByNameAsync("forgetful"))!));
        }
    }

    [Fact]
    public async Task Wrong_passwords_sent_all_at_once_each_count_towards_the_lockout()
    {
        var name = "hurried-" + Guid.NewGuid().ToString("N")[..8];
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            Assert.True((await users.CreateAsync(new AppUser { UserName = name }, ApiFactory.AdminPassword)).Succeeded);
        }

        // four at once, each its own request: none may be lost to another's save of the same count
        using var client = app.Anonymous();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => client.PostAsJsonAsync("/api/auth/login", new { username = name, password = $"not-it-{i}" })));

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            Assert.Equal(4, await users.GetAccessFailedCountAsync((await users.FindByNameAsync(name))!));
        }
    }

    private static (int, string, string) Answer(System.Text.Json.Nodes.JsonNode problem) =>
        (problem["status"]!.GetValue<int>(), problem["title"]!.GetValue<string>(), problem["detail"]!.GetValue<string>());

    [Fact]
    public async Task Login_without_fields_lists_what_is_missing()
    {
        using var client = app.Anonymous();

        var response = await client.PostAsJsonAsync("/api/auth/login", new { });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["username"]);
        Assert.NotNull(problem["errors"]!["password"]);
    }

    public static TheoryData<string> BadTokens => ["expired", "tampered", "wrong key", "alg none", "no Bearer prefix", "other audience", "no stamp", "old stamp"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_401(string kind)
    {
        var good = await app.LoginAsync();
        var userId = new JsonWebToken(good).Subject;
        var stamp = new JsonWebToken(good).GetClaim(TokenStamps.Claim).Value;
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(ApiFactory.SigningKeyText));
        var header = kind == "no Bearer prefix" ? null : "Bearer";
        var token = kind switch
        {
            "expired" => Sign(key, userId, stamp, DateTime.UtcNow.AddHours(-2), DateTime.UtcNow.AddHours(-1)),
            "tampered" => Tamper(good),
            "wrong key" => Sign(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-key-that-is-also-long-enough-for-hs256")), userId, stamp),
            "alg none" => Unsigned(good),
            "other audience" => Sign(key, userId, stamp, audience: "someone-else"),
            "no stamp" => Sign(key, userId, stamp: null),
            "old stamp" => Sign(key, userId, TokenStamps.Hash("a stamp the user had before")),
            _ => good,
        };
        // the same signing with the user's stamp is accepted: each case fails for its own reason only
        using (var signed = app.WithToken(Sign(key, userId, stamp)))
        {
            Assert.Equal(HttpStatusCode.OK, (await signed.GetAsync("/api/workflows")).StatusCode);
        }
        using var client = app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/workflows");
        request.Headers.TryAddWithoutValidation("Authorization", header is null ? token : $"{header} {token}");

        var response = await client.SendAsync(request);

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("/api/auth/login", problem["detail"]!.GetValue<string>());
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
        using var check = app.WithToken(good);
        Assert.Equal(HttpStatusCode.OK, (await check.GetAsync("/api/workflows")).StatusCode);
    }

    [Fact]
    public async Task A_token_issued_before_its_users_password_changed_is_401_and_a_new_login_works()
    {
        var name = "api-" + Guid.NewGuid().ToString("N")[..8];
        using var before = await app.NewUserAsync(name);
        Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/api/workflows")).StatusCode);
        const string NewPassword = "Changed-Password-456";
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var changed = await users.ChangePasswordAsync((await users.FindByNameAsync(name))!, ApiFactory.AdminPassword, NewPassword);
            Assert.True(changed.Succeeded);
        }

        // the token of a new login works at once, though the old stamp was read a moment ago; then the old token is refused
        using var after = app.WithToken(await app.LoginAsync(name, NewPassword));
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync("/api/workflows")).StatusCode);
        var refused = await before.GetAsync("/api/workflows");

        var problem = await refused.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("password has changed", problem["detail"]!.GetValue<string>());
    }

    private static string Sign(SecurityKey key, string userId, string? stamp, DateTime? notBefore = null, DateTime? expires = null, string audience = TokenIssuer.Audience) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TokenIssuer.Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(stamp is null
                ? [new Claim("sub", userId), new Claim("name", ApiFactory.AdminUser)]
                : [new Claim("sub", userId), new Claim("name", ApiFactory.AdminUser), new Claim(TokenStamps.Claim, stamp)]),
            IssuedAt = notBefore ?? DateTime.UtcNow,
            NotBefore = notBefore ?? DateTime.UtcNow,
            Expires = expires ?? DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });

    /// <summary>The same token with another user's id in the payload and the original signature.</summary>
    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var changed = payload.Replace(new JsonWebToken(token).Subject, "someone-else");
        return $"{parts[0]}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(changed))}.{parts[2]}";
    }

    private static string Unsigned(string token)
    {
        var parts = token.Split('.');
        return $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}.";
    }
}

/// <summary>A low login rate limit, in its own app so other tests' logins do not count.</summary>
public class LoginRateLimitTests(LoginRateLimitTests.LowLimit app) : IClassFixture<LoginRateLimitTests.LowLimit>
{
    public sealed class LowLimit : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Auth:LoginAttemptsPerMinute"] = "3" };
    }

    [Fact]
    public async Task Too_many_login_attempts_get_429()
    {
        using var client = app.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await client.PostAsJsonAsync("/api/auth/login", new { username = "nobody", password = "x" })).StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        var refused = await client.PostAsJsonAsync("/api/auth/login", new { username = "nobody", password = "x" });
        Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        var problem = await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("at most 3 a minute", problem["detail"]!.GetValue<string>());
        Assert.Contains("Try again in", problem["detail"]!.GetValue<string>());
    }
}
