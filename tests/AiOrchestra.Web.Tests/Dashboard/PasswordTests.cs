using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>Account → change your password.</summary>
public sealed class PasswordTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    private const string NewPassword = "Changed-Password-456";

    [Fact]
    public async Task A_changed_password_keeps_this_browser_signed_in_and_the_old_one_no_longer_logs_in()
    {
        var (name, client) = await NewUserAsync();
        var home = await client.GetDocumentAsync("/");
        Assert.Equal("/Account/Password", home.QuerySelector("header a.who")!.GetAttribute("href"));

        var changed = await ChangeAsync(client, DashboardHost.Password, NewPassword, NewPassword);

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("Your password is changed", await changed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LogInAsync(name, DashboardHost.Password)).StatusCode); // the form again, with its message
        Assert.Equal(HttpStatusCode.Redirect, (await LogInAsync(name, NewPassword)).StatusCode);
    }

    [Theory]
    [InlineData("Wrong-Password-1", NewPassword, NewPassword, "Current", "That is not your current password. After 5 failed attempts an account is locked for 5 minutes.")]
    [InlineData(DashboardHost.Password, NewPassword, "Another-Password-789", "Confirm", "The two new passwords differ")]
    [InlineData(DashboardHost.Password, "short", "short", "New", "at least 10 characters")]
    [InlineData("", "", "", "Current", "Type your current password.")]
    public async Task What_is_wrong_is_shown_beside_the_field_it_concerns_and_nothing_changes(
        string current, string next, string confirm, string field, string message)
    {
        var (name, client) = await NewUserAsync();

        var refused = await ChangeAsync(client, current, next, confirm);

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var page = HtmlClient.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Contains(message, page.GetElementById($"{field}-error")!.TextContent);
        Assert.DoesNotContain("Your password is changed", page.Body!.TextContent);
        Assert.Equal(HttpStatusCode.Redirect, (await LogInAsync(name, DashboardHost.Password)).StatusCode);
    }

    [Fact]
    public async Task Guessing_the_current_password_locks_the_account_like_failed_logins_and_signs_out()
    {
        var (name, client) = await NewUserAsync();
        for (var attempt = 1; attempt < 5; attempt++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ChangeAsync(client, $"Wrong-Password-{attempt}", NewPassword, NewPassword)).StatusCode);
        }

        var fifth = await ChangeAsync(client, "Wrong-Password-5", NewPassword, NewPassword);

        Assert.Equal(HttpStatusCode.Redirect, fifth.StatusCode);
        Assert.StartsWith("/Account/Login", fifth.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/Workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LogInAsync(name, DashboardHost.Password)).StatusCode); // locked out
    }

    [Fact]
    public async Task A_locked_account_cannot_change_its_password_from_another_signed_in_browser_even_with_the_right_one()
    {
        var (name, client) = await NewUserAsync();
        var other = await host.SignedInAsync(name);
        // the other browser has its form open before the guesses start
        var form = await other.GetDocumentAsync("/Account/Password");
        var token = form.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await ChangeAsync(client, $"Wrong-Password-{attempt}", NewPassword, NewPassword);
        }

        // the lockout gave the account a new stamp: the other browser is signed out on its very next request
        var refused = await other.PostAsync("/Account/Password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Current"] = DashboardHost.Password, ["New"] = NewPassword, ["Confirm"] = NewPassword, ["__RequestVerificationToken"] = token,
        }));

        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Equal("/Account/Login", new Uri(new Uri("http://localhost"), refused.Headers.Location!).AbsolutePath);
        Assert.True(await host.InScope<bool, UserManager<AiOrchestra.Web.Data.AppUser>>(async users =>
            await users.CheckPasswordAsync((await users.FindByNameAsync(name))!, DashboardHost.Password)));
    }

    [Fact]
    public void A_changed_password_reaches_other_browsers_within_a_minute()
    {
        Assert.Equal(TimeSpan.FromMinutes(1), host.Services.GetRequiredService<IOptions<SecurityStampValidatorOptions>>().Value.ValidationInterval);
    }

    [Fact]
    public async Task Another_browser_signed_in_as_the_user_is_signed_out_once_its_login_is_checked_again()
    {
        // the check runs every minute in the app; here at every request
        using var checkingAlways = host.WithWebHostBuilder(builder => builder.ConfigureServices(services =>
            services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.Zero)));
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        var here = await SignInAsync(checkingAlways, name);
        var elsewhere = await SignInAsync(checkingAlways, name);
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync("/Workflows")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await ChangeAsync(here, DashboardHost.Password, NewPassword, NewPassword)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await here.GetAsync("/Workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await elsewhere.GetAsync("/Workflows")).StatusCode);
    }

    private static Task<HttpResponseMessage> ChangeAsync(HttpClient client, string current, string next, string confirm) =>
        client.PostFormAsync("/Account/Password", new() { ["Current"] = current, ["New"] = next, ["Confirm"] = confirm });

    private Task<HttpResponseMessage> LogInAsync(string name, string password) =>
        host.Anonymous().PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = password });

    private async Task<(string Name, HttpClient Client)> NewUserAsync()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        return (name, await host.SignedInAsync(name));
    }

    private static async Task<HttpClient> SignInAsync(WebApplicationFactory<Program> app, string name)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = DashboardHost.Password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }
}
