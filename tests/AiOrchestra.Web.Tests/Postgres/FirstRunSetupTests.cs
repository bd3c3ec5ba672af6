using System.Net;
using AiOrchestra.Web.Tests.Dashboard;
using Npgsql;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>The first-run setup page submitted on two app processes at once, on one new PostgreSQL database.</summary>
[Trait("Provider", "postgres")]
[Collection(AppProcesses.Collection)]
public sealed class FirstRunSetupTests
{
    [PostgresFact]
    public async Task Setup_submitted_on_two_processes_at_once_creates_exactly_one_administrator()
    {
        // no Admin__UserName: the database starts with no user, and each process offers the setup page
        await using var processes = await AppProcesses.StartAsync(2, new Dictionary<string, string> { ["Admin__UserName"] = "", ["Admin__Password"] = "" });
        var browsers = processes.Apps.Select(app => new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.Address }).ToList();
        try
        {
            // both pages are open (with their antiforgery tokens) before either is sent
            var forms = await Task.WhenAll(browsers.Select(async (browser, i) =>
            {
                var page = await browser.GetDocumentAsync("/Account/Setup");
                var token = page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
                return new Dictionary<string, string>
                {
                    ["UserName"] = $"first{i}", ["Password"] = AppProcesses.Password, ["Confirm"] = AppProcesses.Password, ["__RequestVerificationToken"] = token,
                };
            }));
            var answers = await Task.WhenAll(browsers.Select((browser, i) => browser.PostAsync("/Account/Setup", new FormUrlEncodedContent(forms[i]))));

            // one became the administrator, the other found setup gone
            Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.NotFound], answers.Select(a => a.StatusCode).Order());
            var winner = $"first{Array.FindIndex(answers, a => a.StatusCode == HttpStatusCode.Redirect)}";
            await using var connection = new NpgsqlConnection(processes.ConnectionString);
            await connection.OpenAsync();
            await using var users = new NpgsqlCommand("SELECT string_agg(\"UserName\", ',') FROM \"AspNetUsers\"", connection);
            Assert.Equal(winner, (string?)await users.ExecuteScalarAsync());
            // and setup is gone on both processes
            foreach (var browser in browsers)
            {
                Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/Account/Setup")).StatusCode);
            }
        }
        finally
        {
            foreach (var browser in browsers)
            {
                browser.Dispose();
            }
        }
    }
}
