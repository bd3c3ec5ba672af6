using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Workflows;

public class TriggerTests
{
    private static readonly WorkflowValidator Validator = new(FakeSteps.Catalog);

    private const string Steps = """[{"step_id": "reply", "step_type": "template", "action": "render", "parameters": {"text": "{{trigger.body.name}} {{since}}"}}]""";

    private static string WithTriggers(string triggers) =>
        $$$"""{"workflow_id": "w", "steps": {{{Steps}}}, "variables": {"since": "", "query": "is:unread"}, "triggers": {{{triggers}}}}""";

    private static IReadOnlyList<string> Errors(string json) =>
        Validator.Validate(WorkflowJson.Parse(json)).Select(e => e.ToString()).ToList();

    [Fact]
    public void Triggers_of_every_kind_read_validate_and_write_back_to_the_same_text()
    {
        const string json = """
            {
              "workflow_id": "w",
              "steps": [
                {
                  "step_id": "reply",
                  "step_type": "template",
                  "action": "render",
                  "parameters": {
                    "text": "{{trigger.body.name}} {{since}}"
                  }
                }
              ],
              "variables": {
                "since": "",
                "query": "is:unread"
              },
              "triggers": [
                {
                  "trigger_id": "push",
                  "type": "webhook",
                  "respond": "output",
                  "response_step": "reply",
                  "signed": true,
                  "max_per_minute": 120
                },
                {
                  "trigger_id": "nightly",
                  "type": "schedule",
                  "enabled": false,
                  "cron": "0 2 * * *",
                  "time_zone": "Europe/Berlin",
                  "missed": "run_once",
                  "variables": {
                    "since": "yesterday"
                  }
                },
                {
                  "trigger_id": "new_mail",
                  "type": "poll",
                  "every_seconds": 60,
                  "step_type": "gmail",
                  "action": "list_messages",
                  "parameters": {
                    "query": "{{query}}"
                  },
                  "item_id": "id",
                  "mode": "batch",
                  "max_items": 20
                }
              ]
            }
            """;

        var parsed = WorkflowJson.Parse(json);

        Assert.True(parsed.Succeeded, string.Join("\n", parsed.Errors));
        Assert.Empty(Validator.Validate(parsed.Workflow));
        var triggers = parsed.Workflow.Triggers;
        Assert.Equal([TriggerType.Webhook, TriggerType.Schedule, TriggerType.Poll], triggers.Select(t => t.Type));
        Assert.Equal(WebhookResponse.Output, triggers[0].Respond);
        Assert.True(triggers[0].Signed);
        Assert.False(triggers[1].Enabled);
        Assert.Equal(MissedPolicy.RunOnce, triggers[1].Missed);
        Assert.Equal("yesterday", triggers[1].Variables["since"]!.GetValue<string>());
        Assert.Equal(PollMode.Batch, triggers[2].Mode);
        Assert.Equal(20, triggers[2].MaxItems);
        Assert.Equal(json, WorkflowJson.Serialize(parsed.Workflow));
    }

    [Fact]
    public void A_workflow_without_triggers_writes_no_triggers_field()
    {
        var steps = Steps.Replace("trigger.body.name", "since", StringComparison.Ordinal);
        var parsed = WorkflowJson.Parse($$$"""{"workflow_id": "w", "steps": {{{steps}}}, "variables": {"since": ""}}""");

        Assert.True(parsed.Succeeded);
        Assert.Empty(parsed.Workflow.Triggers);
        Assert.DoesNotContain("triggers", WorkflowJson.Serialize(parsed.Workflow));
    }

    [Fact]
    public void A_secret_or_token_in_the_file_is_refused_and_never_written()
    {
        var errors = Errors(WithTriggers("""[{"trigger_id": "push", "type": "webhook", "secret": "s3cret", "token": "abc"}]"""));

        Assert.Contains(errors, e => e.StartsWith("triggers[0].secret: a webhook's secret is never kept in the workflow file", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("triggers[0].token: a webhook's token is never kept in the workflow file", StringComparison.Ordinal));
    }

    [Fact]
    public void A_setting_of_another_kind_of_trigger_names_the_kind()
    {
        var errors = Errors(WithTriggers("""[{"trigger_id": "push", "type": "webhook", "cron": "0 2 * * *"}]"""));

        Assert.Equal(["triggers[0].cron: 'cron' is not a setting of webhook triggers; a webhook trigger has: trigger_id, type, enabled, variables, respond, response_step, signed, max_per_minute"], errors);
    }

    [Theory]
    [InlineData("""{"trigger_id": "n", "type": "schedule", "cron": "0 2 * *"}""",
        "triggers[0].cron: \"0 2 * *\" has 4 field(s); a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 (seconds first), e.g. \"0 2 * * *\" (every day at 02:00) or \"*/30 * * * * *\" (every 30 seconds, seconds first)")]
    [InlineData("""{"trigger_id": "n", "type": "schedule", "cron": "0 25 * * *"}""", "triggers[0].cron: \"0 25 * * *\" is not a valid cron expression: ")]
    [InlineData("""{"trigger_id": "n", "type": "schedule", "cron": "0 2 * * *", "time_zone": "Europe/Berln"}""",
        "triggers[0].time_zone: unknown time zone \"Europe/Berln\"; use an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"")]
    [InlineData("""{"trigger_id": "n", "type": "schedule", "every_seconds": 0}""", "triggers[0].every_seconds: must be between 1 and 2678400 seconds (31 days), got 0")]
    [InlineData("""{"trigger_id": "n", "type": "schedule"}""", "triggers[0]: a schedule needs \"cron\"")]
    [InlineData("""{"trigger_id": "n", "type": "schedule", "cron": "0 2 * * *", "every_seconds": 60}""", "triggers[0].every_seconds: a schedule has either \"cron\" or \"every_seconds\", not both")]
    [InlineData("""{"trigger_id": "n", "type": "schedule", "every_seconds": 60, "missed": "always"}""", "triggers[0].missed: expected \"skip\" (due times passed while stopped are not run) or \"run_once\"")]
    [InlineData("""{"trigger_id": "n", "type": "cron"}""", "triggers[0].type: expected \"webhook\" (POST /hooks/<token>), \"schedule\" (cron or interval) or \"poll\"")]
    [InlineData("""{"trigger_id": "bad id", "type": "webhook"}""", "triggers[0].trigger_id: \"bad id\" is not a valid trigger id")]
    [InlineData("""{"trigger_id": "p", "type": "webhook", "response_step": "reply"}""", "triggers[0].response_step: only an \"output\" webhook answers with a step's output")]
    [InlineData("""{"trigger_id": "p", "type": "webhook", "respond": "output", "response_step": "rply"}""", "triggers[0].response_step: there is no step \"rply\" (did you mean 'reply'?)")]
    [InlineData("""{"trigger_id": "p", "type": "webhook", "variables": {"sinse": "x"}}""", "triggers[0].variables.sinse: the workflow has no variable \"sinse\" (did you mean 'since'?)")]
    [InlineData("""{"trigger_id": "m", "type": "poll", "step_type": "gmail", "action": "list_messages"}""", "triggers[0].every_seconds: required field is missing")]
    [InlineData("""{"trigger_id": "m", "type": "poll", "every_seconds": 60, "step_type": "gmail", "action": "list_mesages"}""", "triggers[0].action: step type 'gmail' has no action \"list_mesages\" (did you mean 'list_messages'?)")]
    [InlineData("""{"trigger_id": "m", "type": "poll", "every_seconds": 60, "step_type": "gmail", "action": "list_messages", "parameters": {"query": "{{reply_output}}"}}""",
        "triggers[0].parameters.query: unknown variable 'reply_output'; a poll runs before any step, so its parameters read the workflow's variables only")]
    [InlineData("""{"trigger_id": "m", "type": "poll", "every_seconds": 60, "step_type": "gmail", "action": "list_messages", "max_items": 5000}""", "triggers[0].max_items: must be between 1 and 1000 new items a poll, got 5000")]
    public void Each_bad_setting_is_an_error_at_its_path(string trigger, string expected)
    {
        var errors = Errors(WithTriggers($"[{trigger}]"));

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_triggers_with_one_id_are_an_error()
    {
        var errors = Errors(WithTriggers("""[{"trigger_id": "a", "type": "webhook"}, {"trigger_id": "a", "type": "schedule", "every_seconds": 5}]"""));

        Assert.Equal(["triggers[1].trigger_id: 'a' is already the id of triggers[0]; give each trigger its own id"], errors);
    }

    [Fact]
    public void Trigger_references_are_known_only_in_a_workflow_with_triggers()
    {
        var without = Errors($$$"""{"workflow_id": "w", "steps": {{{Steps}}}, "variables": {"since": ""}}""");

        Assert.Equal(["steps[0].parameters.text: unknown variable 'trigger'; declare it under \"variables\" (a run's inputs override the default), or read an earlier step's output as {{<step_id>_output}}"], without);
        Assert.Empty(Errors(WithTriggers("""[{"trigger_id": "push", "type": "webhook"}]""")));
    }

    [Fact]
    public void A_run_of_a_workflow_with_triggers_takes_trigger_as_an_input()
    {
        var workflow = WorkflowJson.Parse(WithTriggers("""[{"trigger_id": "push", "type": "webhook"}]""")).Workflow!;
        var inputs = new Dictionary<string, JsonNode?> { ["trigger"] = new JsonObject { ["body"] = "x" } };

        Assert.Empty(WorkflowValidator.ValidateInputs(workflow, inputs));
        Assert.Single(WorkflowValidator.ValidateInputs(workflow with { Triggers = [] }, inputs));
    }

    [Fact]
    public void A_step_named_trigger_is_an_error_in_a_workflow_with_triggers()
    {
        var errors = Errors("""{"workflow_id": "w", "steps": [{"step_id": "trigger", "step_type": "template", "action": "render", "parameters": {"text": "x"}}], "triggers": [{"trigger_id": "t", "type": "webhook"}]}""");

        Assert.Equal(["steps[0].step_id: 'trigger' names what started the run in a workflow with triggers ({{trigger.body}}); give the step another id"], errors);
    }

    [Fact]
    public void Cron_due_times_follow_daylight_saving_changes_in_the_trigger_time_zone()
    {
        var trigger = new WorkflowTrigger { TriggerId = "n", Type = TriggerType.Schedule, Cron = "30 2 * * *", TimeZone = "Europe/Berlin" };

        // 2026-03-29: Berlin's clocks go from 02:00 to 03:00; 02:30 does not exist that day, so it runs at 03:00 (01:00 UTC)
        var spring = TriggerSchedule.NextTimes(trigger, Utc(2026, 3, 28, 12, 0), 3);
        Assert.Equal([Utc(2026, 3, 29, 1, 0), Utc(2026, 3, 30, 0, 30), Utc(2026, 3, 31, 0, 30)], spring.Select(t => t.ToUniversalTime()));

        // 2026-10-25: clocks go from 03:00 back to 02:00; 02:30 comes twice and runs once (the first, 00:30 UTC)
        var autumn = TriggerSchedule.NextTimes(trigger, Utc(2026, 10, 24, 12, 0), 3);
        Assert.Equal([Utc(2026, 10, 25, 0, 30), Utc(2026, 10, 26, 1, 30), Utc(2026, 10, 27, 1, 30)], autumn.Select(t => t.ToUniversalTime()));
    }

    [Fact]
    public void Interval_due_times_are_counted_from_the_epoch_so_a_restart_agrees_on_them()
    {
        var trigger = new WorkflowTrigger { TriggerId = "i", Type = TriggerType.Schedule, EverySeconds = 90 };

        Assert.Equal([Utc(2026, 1, 1, 0, 1, 30), Utc(2026, 1, 1, 0, 3, 0)], TriggerSchedule.NextTimes(trigger, Utc(2026, 1, 1, 0, 0, 10), 2));
        Assert.Equal(Utc(2026, 1, 1, 0, 3, 0), TriggerSchedule.Next(trigger, Utc(2026, 1, 1, 0, 1, 30)));
    }

    [Fact]
    public void The_editor_triggers_field_reads_and_writes_the_triggers_alone()
    {
        var (triggers, errors) = WorkflowJson.ParseTriggers("""[{"trigger_id": "push", "type": "webhook", "respond": "output"}]""");

        Assert.Empty(errors);
        Assert.Equal(WebhookResponse.Output, Assert.Single(triggers).Respond);
        Assert.Equal("[\n  {\n    \"trigger_id\": \"push\",\n    \"type\": \"webhook\",\n    \"respond\": \"output\"\n  }\n]", WorkflowJson.SerializeTriggers(triggers));
        Assert.Equal(("", 0), (WorkflowJson.SerializeTriggers([]), WorkflowJson.ParseTriggers(" ").Triggers.Count));
        Assert.StartsWith("triggers: the document is not valid JSON", WorkflowJson.ParseTriggers("[{").Errors.Single().ToString());
        Assert.Equal("triggers[0].type: required field is missing; say what starts the workflow: \"webhook\", \"schedule\" or \"poll\"",
            WorkflowJson.ParseTriggers("""[{"trigger_id": "x"}]""").Errors.Single().ToString());
    }

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);
}
