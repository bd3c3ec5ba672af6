using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using AiOrchestra.Web.Tests.Api;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>
/// The login page and the password page spend the API login's budget of password attempts per address
/// (Auth:LoginAttemptsPerMinute): one budget whichever way a password is sent, then 429 with a page that says when
/// to try again.
/// </summary>
public sealed class LoginLimitTests
{
    private sealed class ThreeAMinute : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Auth:LoginAttemptsPerMinute"] = "3" };

        public HttpClient Browser()
        {
            Uri address;
            using (var probe = Anonymous())
            {
                address = probe.BaseAddress!;
            }
            return new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = address };
        }
    }

    [Fact]
    public async Task The_login_form_shares_the_API_logins_budget_and_then_answers_429_saying_when_to_try_again()
    {
        using var app = new ThreeAMinute();
        using var browser = app.Browser();
        using var api = app.Anonymous();

        var first = await browser.PostFormAsync("/Account/Login", new() { ["UserName"] = ApiFactory.AdminUser, ["Password"] = "wrong-1" });
        var second = await api.PostAsJsonAsync("/api/auth/login", new { username = ApiFactory.AdminUser, password = "wrong-2" });
        var third = await browser.PostFormAsync("/Account/Login", new() { ["UserName"] = ApiFactory.AdminUser, ["Password"] = "wrong-3" });
        // even the right password is not looked at once the address has spent its attempts
        var fourth = await browser.PostFormAsync("/Account/Login", new() { ["UserName"] = ApiFactory.AdminUser, ["Password"] = ApiFactory.AdminPassword });

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            [first.StatusCode, second.StatusCode, third.StatusCode, fourth.StatusCode]);
        var wait = int.Parse(fourth.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(wait, 1, 60);
        var page = HtmlClient.Parse(await fourth.Content.ReadAsStringAsync());
        var message = page.QuerySelector("main p.error[role=alert]")!.TextContent;
        Assert.Contains("Too many password attempts from your address: at most 3 a minute", message);
        Assert.Contains("Try again in", message);
        Assert.NotNull(page.QuerySelector("form input[name=Password]"));
        Assert.False(fourth.Headers.Contains("Set-Cookie") && fourth.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("AiOrchestra.Auth=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Guessing_the_current_password_on_the_password_page_spends_the_same_budget()
    {
        using var app = new ThreeAMinute();
        using var browser = app.Browser();
        var login = await browser.PostFormAsync("/Account/Login", new() { ["UserName"] = ApiFactory.AdminUser, ["Password"] = ApiFactory.AdminPassword });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 3; i++)
        {
            last = await browser.PostFormAsync("/Account/Password", new() { ["Current"] = $"wrong-{i}", ["New"] = "Another-Pass-456", ["Confirm"] = "Another-Pass-456" });
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(last.Headers.Contains("Retry-After"));
        var message = HtmlClient.Parse(await last.Content.ReadAsStringAsync()).QuerySelector("main p.error[role=alert]")!.TextContent;
        Assert.Contains("Try again in", message);
    }
}
