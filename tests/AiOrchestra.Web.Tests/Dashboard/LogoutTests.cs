using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>Logging out ends the session on the server: the cookie it had, if someone captured it, no longer works.</summary>
public sealed class LogoutTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    [Fact]
    public async Task A_cookie_captured_before_logout_is_refused_on_its_next_request()
    {
        var name = "logout-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        using var raw = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        var form = await raw.GetAsync("/Account/Login");
        var antiforgery = Cookies(form);
        var token = Token(await form.Content.ReadAsStringAsync());
        var login = await Send(raw, HttpMethod.Post, "/Account/Login", antiforgery,
            new() { ["UserName"] = name, ["Password"] = DashboardHost.Password, ["__RequestVerificationToken"] = token });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var captured = Cookies(login);
        Assert.Contains("AiOrchestra.Auth=", captured);
        Assert.Equal(HttpStatusCode.OK, (await Send(raw, HttpMethod.Get, "/Workflows", captured)).StatusCode);

        var logoutPage = await Send(raw, HttpMethod.Get, "/Account/Logout", captured);
        var logoutCookies = captured + "; " + Cookies(logoutPage);
        var logout = await Send(raw, HttpMethod.Post, "/Account/Logout", logoutCookies,
            new() { ["__RequestVerificationToken"] = Token(await logoutPage.Content.ReadAsStringAsync()) });
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);

        // the browser dropped the cookie; whoever kept a copy is sent to the login form
        var replayed = await Send(raw, HttpMethod.Get, "/Workflows", captured);
        Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        Assert.Equal("/Account/Login", replayed.Headers.Location!.AbsolutePath);

        // logging in again works at once
        var again = await Send(raw, HttpMethod.Post, "/Account/Login", antiforgery,
            new() { ["UserName"] = name, ["Password"] = DashboardHost.Password, ["__RequestVerificationToken"] = token });
        Assert.Equal(HttpStatusCode.OK, (await Send(raw, HttpMethod.Get, "/Workflows", Cookies(again))).StatusCode);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, string cookies, Dictionary<string, string>? form = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Cookie", cookies);
        if (form is not null)
        {
            request.Content = new FormUrlEncodedContent(form);
        }
        return await client.SendAsync(request);
    }

    /// <summary>The cookies a response sets, as a Cookie header sends them back.</summary>
    private static string Cookies(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]) : []);

    private static string Token(string html) =>
        HtmlClient.Parse(html).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
}
