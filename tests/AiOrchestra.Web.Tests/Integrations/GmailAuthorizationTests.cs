using System.Net;
using System.Text;
using AiOrchestra.Web.Settings;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>Gmail's OAuth web flow from the Settings page, against a fake Google (authorization and token endpoints).</summary>
public sealed class GmailAuthorizationTests
{
    private const string Code = "4/TEST-AUTHORIZATION-CODE-0a1b";
    private const string GrantedRefreshToken = "1//GRANTED-REFRESH-TOKEN-5e7a";

    private static Task Google(RecordedRequest request, HttpContext context) => request switch
    {
        { Path: "/token" } when request.Body.Contains("grant_type=authorization_code", StringComparison.Ordinal) => FakeServer.Json(context, 200,
            $$"""{"access_token": "ya29.GRANTED-ACCESS-TOKEN-77c1", "refresh_token": "{{GrantedRefreshToken}}", "expires_in": 3599, "token_type": "Bearer", "scope": "https://www.googleapis.com/auth/gmail.readonly"}"""),
        { Path: "/gmail/v1/users/me/profile" } => FakeServer.Json(context, 200, """{"emailAddress": "me@example.com"}"""),
        _ => GmailStepTests.Gmail(request, context),
    };

    private static IntegrationApp App(string fakeUrl) => new(fakeUrl, new Dictionary<string, string?>
    {
        ["Gmail:RefreshToken"] = null,
        ["Gmail:AuthorizationUrl"] = fakeUrl + "/authorize",
    });

    [Fact]
    public async Task Authorize_sends_the_browser_to_google_and_the_callback_stores_the_refresh_token_encrypted()
    {
        await using var fakes = await FakeServer.StartAsync(Google);
        using var app = App(fakes.Url);
        using var browser = await app.BrowserAsync();

        var authorize = await browser.PostFormAsync("/Settings?handler=AuthorizeGmail", [], formPage: "/Settings");

        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var location = authorize.Headers.Location!;
        Assert.Equal(fakes.Url + "/authorize", location.GetLeftPart(UriPartial.Path));
        var asked = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(IntegrationHarness.GmailClientId, asked["client_id"]);
        Assert.Equal(new Uri(browser.BaseAddress!, "/Settings/GmailCallback").ToString(), asked["redirect_uri"]);
        Assert.Equal("code", asked["response_type"]);
        Assert.Equal("https://www.googleapis.com/auth/gmail.readonly", asked["scope"]);
        Assert.Equal("offline", asked["access_type"]);
        Assert.False(string.IsNullOrEmpty(asked["state"]));

        // the user grants access; Google sends the browser back with a code and the state
        var callback = await browser.GetAsync($"{asked["redirect_uri"]}?state={Uri.EscapeDataString(asked["state"]!)}&code={Uri.EscapeDataString(Code)}&scope=gmail.readonly");

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.StartsWith("/Settings?authorized=gmail", callback.Headers.Location!.OriginalString);
        var exchange = QueryHelpers.ParseQuery(Assert.Single(fakes.Received, r => r.Path == "/token").Body);
        Assert.Equal("authorization_code", exchange["grant_type"]);
        Assert.Equal(Code, exchange["code"]);
        Assert.Equal(asked["redirect_uri"], exchange["redirect_uri"]);
        Assert.Equal(IntegrationHarness.GmailClientId, exchange["client_id"]);
        Assert.Equal(IntegrationHarness.GmailClientSecret, exchange["client_secret"]);

        // stored as the signed-in user's project's credential, encrypted; the instance's store is left alone
        Assert.Null(app.Services.GetRequiredService<SecretStore>().Get("Gmail:RefreshToken"));
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AiOrchestra.Web.Data.AppDbContext>();
            var stored = await db.ProjectCredentials.SingleAsync(c => c.Key == "Gmail:RefreshToken");
            Assert.Equal((await db.Users.SingleAsync()).Id, stored.ProjectId);
            Assert.DoesNotContain(GrantedRefreshToken, stored.Ciphertext);
            var project = await app.Services.GetRequiredService<AiOrchestra.Web.Projects.ProjectCredentials>().ScopeAsync(stored.ProjectId, CancellationToken.None);
            Assert.Equal(GrantedRefreshToken, project.Own("Gmail:RefreshToken"));
        }
        var settings = await browser.GetStringAsync(callback.Headers.Location);
        Assert.Contains("Gmail is authorized", settings);
        Assert.DoesNotContain(GrantedRefreshToken, settings);

        // the stored refresh token is the one Gmail's steps now use
        var tested = await browser.PostFormAsync("/Settings?handler=Test", new() { ["Integration"] = "gmail" }, formPage: "/Settings");
        Assert.Equal("Connected.", HtmlClient.Parse(await tested.Content.ReadAsStringAsync()).QuerySelector("#test-gmail")!.TextContent.Trim());
        var refresh = QueryHelpers.ParseQuery(fakes.Received.Last(r => r.Path == "/token").Body);
        Assert.Equal("refresh_token", refresh["grant_type"]);
        Assert.Equal(GrantedRefreshToken, refresh["refresh_token"]);
    }

    [Fact]
    public async Task A_callback_with_a_forged_state_or_a_refusal_stores_nothing()
    {
        await using var fakes = await FakeServer.StartAsync(Google);
        using var app = App(fakes.Url);
        using var browser = await app.BrowserAsync();

        var forged = await browser.GetAsync($"/Settings/GmailCallback?code={Code}&state=forged");
        var missing = await browser.GetAsync($"/Settings/GmailCallback?code={Code}");
        var refused = await browser.GetAsync("/Settings/GmailCallback?error=access_denied");

        Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
        Assert.Contains("was not started from your Settings page", await forged.Content.ReadAsStringAsync());
        Assert.Contains("was not started from your Settings page", await missing.Content.ReadAsStringAsync());
        Assert.Contains("Access to Gmail was not granted", await refused.Content.ReadAsStringAsync());
        Assert.Empty(fakes.Received);
        Assert.Null(app.Services.GetRequiredService<SecretStore>().Get("Gmail:RefreshToken"));
        using var scope = app.Services.CreateScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<AiOrchestra.Web.Data.AppDbContext>().ProjectCredentials.AnyAsync());
    }

    [Fact]
    public async Task Authorizing_without_the_oauth_client_says_what_to_set()
    {
        await using var fakes = await FakeServer.StartAsync(Google);
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["Gmail:ClientId"] = null, ["Gmail:RefreshToken"] = null });
        using var browser = await app.BrowserAsync();

        var authorize = await browser.PostFormAsync("/Settings?handler=AuthorizeGmail", [], formPage: "/Settings");

        Assert.Equal(HttpStatusCode.OK, authorize.StatusCode);
        Assert.Contains("Set Gmail:ClientId and Gmail:ClientSecret", await authorize.Content.ReadAsStringAsync());
    }
}
