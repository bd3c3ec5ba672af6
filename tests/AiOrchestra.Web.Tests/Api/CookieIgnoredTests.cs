using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>
/// The dashboard makes its cookie the default scheme. Here a stand-in default scheme signs in every request as
/// the administrator: <c>/api</c> must still ask for a bearer token (no cookie, no CSRF surface).
/// </summary>
public class CookieIgnoredTests(CookieIgnoredTests.WithDefaultScheme app) : IClassFixture<CookieIgnoredTests.WithDefaultScheme>
{
    public sealed class WithDefaultScheme : ApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services
                .AddAuthentication(options => options.DefaultScheme = SignedInEverywhere.Name)
                .AddScheme<AuthenticationSchemeOptions, SignedInEverywhere>(SignedInEverywhere.Name, null));
        }
    }

    [Fact]
    public async Task The_default_scheme_does_not_open_the_api()
    {
        using var client = app.Anonymous();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/auth/verify", null)).StatusCode);
        using var withToken = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await withToken.GetAsync("/api/workflows")).StatusCode);
    }

    private sealed class SignedInEverywhere(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string Name = "SignedInEverywhere";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "admin"), new Claim("name", ApiFactory.AdminUser)], Name)), Name)));
    }
}
