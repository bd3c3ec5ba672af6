using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Alerts;

/// <summary>Settings → Alerts: channels with their Test button, rules with validation, the history.</summary>
public sealed class AlertsPageTests
{
    private const string Page = "/Settings/Alerts";

    [Fact]
    public async Task Channels_are_added_tested_and_listed_with_their_outcome_in_the_history()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        await using var sink = new SmtpSink();
        using var app = new IntegrationApp("http://127.0.0.1:9", new Dictionary<string, string?>
        {
            ["Outbound:Allow"] = "127.0.0.1", ["Alerts:Smtp:Host"] = "127.0.0.1", ["Alerts:Smtp:Port"] = sink.Port.ToString(),
            ["Alerts:Smtp:Security"] = "none",
        });
        using var browser = await app.BrowserAsync();

        var refused = await browser.PostFormAsync(Page + "?handler=AddChannel",
            new() { ["ChannelName"] = "team", ["ChannelKind"] = "slack", ["ChannelTarget"] = "hooks.slack.com/services/x" });
        Assert.Contains("is not an http or https URL", await refused.Content.ReadAsStringAsync());

        var added = await browser.PostFormAsync(Page + "?handler=AddChannel",
            new() { ["ChannelName"] = "team", ["ChannelKind"] = "slack", ["ChannelTarget"] = receiver.Url + "/services/T000/SECRET-PART" });
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        await browser.PostFormAsync(Page + "?handler=AddChannel",
            new() { ["ChannelName"] = "mail", ["ChannelKind"] = "email", ["ChannelTarget"] = "ops@example.test" });
        var page = await browser.GetDocumentAsync(Page);
        Assert.DoesNotContain("SECRET-PART", page.DocumentElement.OuterHtml);
        var team = page.QuerySelector("tr[data-channel=team] form[action*=Test]")!.GetAttribute("action")!;
        var mail = page.QuerySelector("tr[data-channel=mail] form[action*=Test]")!.GetAttribute("action")!;

        var tested = await browser.PostHtmxAsync(team, [], Page);
        Assert.Contains("Sent.", await tested.Content.ReadAsStringAsync());
        Assert.Contains("Test of 'team'", (string?)JsonNode.Parse(Assert.Single(receiver.Received).Body)!["text"]);
        Assert.Equal("/services/T000/SECRET-PART", receiver.Received[0].Path);
        var mailed = await browser.PostHtmxAsync(mail, [], Page);
        Assert.Contains("Sent.", await mailed.Content.ReadAsStringAsync());
        Assert.Contains("Subject: [AI Orchestra] Test of 'mail'", Assert.Single(sink.Messages));

        var history = (await browser.GetDocumentAsync(Page)).QuerySelectorAll("#alert-history tr[data-kind=test]");
        Assert.Equal(2, history.Length);
        Assert.All(history, row => Assert.Equal("sent", row.GetAttribute("data-status")));
    }

    [Fact]
    public async Task A_failing_test_shows_why_beside_its_button()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => FakeServer.Text(context, 500, "down"));
        using var app = new IntegrationApp("http://127.0.0.1:9", new Dictionary<string, string?> { ["Outbound:Allow"] = "127.0.0.1" });
        using var browser = await app.BrowserAsync();
        await browser.PostFormAsync(Page + "?handler=AddChannel",
            new() { ["ChannelName"] = "broken", ["ChannelKind"] = "webhook", ["ChannelTarget"] = receiver.Url + "/hook" });
        var test = (await browser.GetDocumentAsync(Page)).QuerySelector("tr[data-channel=broken] form[action*=Test]")!.GetAttribute("action")!;

        var response = await browser.PostHtmxAsync(test, [], Page);

        Assert.Contains("Failed: the webhook answered 500", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_rule_needs_a_threshold_of_one_or_more_and_one_of_your_channels()
    {
        using var app = new IntegrationApp("http://127.0.0.1:9", new Dictionary<string, string?> { ["Outbound:Allow"] = "127.0.0.1" });
        using var browser = await app.BrowserAsync();

        var noChannel = await browser.PostFormAsync(Page + "?handler=AddRule", new() { ["RuleKind"] = "run_failed", ["RuleChannel"] = "12345" });
        Assert.Contains("Choose one of your channels", await noChannel.Content.ReadAsStringAsync());

        await browser.PostFormAsync(Page + "?handler=AddChannel",
            new() { ["ChannelName"] = "team", ["ChannelKind"] = "webhook", ["ChannelTarget"] = "http://127.0.0.1:9/hook" });
        var channel = (await browser.GetDocumentAsync(Page)).QuerySelector("#RuleChannel option")!.GetAttribute("value")!;
        foreach (var threshold in new[] { "0", "-3" })
        {
            var refused = await browser.PostFormAsync(Page + "?handler=AddRule",
                new() { ["RuleKind"] = "failures_in_row", ["RuleChannel"] = channel, ["RuleThreshold"] = threshold });
            Assert.Contains("a whole number from 1 to 1000", await refused.Content.ReadAsStringAsync());
        }

        var added = await browser.PostFormAsync(Page + "?handler=AddRule",
            new() { ["RuleKind"] = "slow_run", ["RuleChannel"] = channel, ["RuleThreshold"] = "120" });
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Assert.Contains("a run took longer than 120 s", (await browser.GetDocumentAsync(Page)).QuerySelector("#alert-rules table")!.TextContent);
    }
}
