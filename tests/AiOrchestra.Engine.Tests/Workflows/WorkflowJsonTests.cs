using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Workflows;

public class WorkflowJsonTests
{
    private const string EmailToNotion = """
        {
          "workflow_id": "email_to_notion",
          "name": "Email to Notion summary",
          "description": "Summarise matching Gmail messages into a Notion page",
          "steps": [
            { "step_id": "fetch", "step_type": "gmail", "action": "list_messages",
              "parameters": { "query": "{{email_query}}", "max_results": 5 } },
            { "step_id": "summarize", "step_type": "openai", "action": "generate_completion",
              "parameters": { "prompt": "Summarise these emails:\n{{fetch_output}}", "model": "gpt-4o-mini" },
              "retry": { "max_attempts": 4 }, "timeout_seconds": 60 },
            { "step_id": "save", "step_type": "notion", "action": "create_page",
              "parameters": { "parent_page_id": "{{notion_page_id}}", "title": "Inbox digest",
                              "content": "{{summarize_output}}" },
              "on_error": "abort" }
          ],
          "variables": { "email_query": "is:unread", "notion_page_id": "" }
        }
        """;

    private static Workflow ParseOk(string json)
    {
        var result = WorkflowJson.Parse(json);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Workflow!;
    }

    private static IReadOnlyList<string> ParseErrors(string json)
    {
        var result = WorkflowJson.Parse(json);
        Assert.False(result.Succeeded);
        return result.Errors.Select(e => e.ToString()).ToList();
    }

    [Fact]
    public void Reads_the_seed_format()
    {
        var workflow = ParseOk(EmailToNotion);

        Assert.Equal("email_to_notion", workflow.WorkflowId);
        Assert.Equal("Email to Notion summary", workflow.Name);
        Assert.Equal("Summarise matching Gmail messages into a Notion page", workflow.Description);
        Assert.Equal(["fetch", "summarize", "save"], workflow.Steps.Select(s => s.StepId));
        var fetch = workflow.Steps[0];
        Assert.Equal("gmail", fetch.StepType);
        Assert.Equal("list_messages", fetch.Action);
        Assert.Equal("""{"query":"{{email_query}}","max_results":5}""", fetch.Parameters.ToJsonString());
        Assert.Equal(OnError.Abort, fetch.OnError);
        Assert.Null(fetch.Retry);
        Assert.Null(fetch.TimeoutSeconds);
        var summarize = workflow.Steps[1];
        Assert.Equal(new RetrySettings { MaxAttempts = 4 }.MaxAttempts, summarize.Retry!.MaxAttempts);
        Assert.Equal(500, summarize.Retry.InitialDelayMs);
        Assert.Equal(30_000, summarize.Retry.MaxDelayMs);
        Assert.Equal(60, summarize.TimeoutSeconds);
        Assert.Equal(["email_query", "notion_page_id"], workflow.Variables.Keys);
        Assert.Equal("is:unread", workflow.Variables["email_query"]!.GetValue<string>());
    }

    [Fact]
    public void Writes_what_it_read_unchanged()
    {
        var written = WorkflowJson.Serialize(ParseOk(EmailToNotion));

        Assert.Equal(written, WorkflowJson.Serialize(ParseOk(written)));
        Assert.Contains("\"on_error\": \"abort\"", written);
        Assert.Contains("\"retry\": {\n        \"max_attempts\": 4\n      },", written);
        Assert.DoesNotContain("initial_delay_ms", written);
    }

    [Fact]
    public void Fields_spelled_out_with_their_default_values_are_written_back()
    {
        const string json = """
            {
              "workflow_id": "defaults",
              "name": "",
              "steps": [
                {
                  "step_id": "a",
                  "step_type": "template",
                  "action": "render",
                  "parameters": {},
                  "on_error": "abort",
                  "retry": {
                    "max_attempts": 3,
                    "initial_delay_ms": 500,
                    "max_delay_ms": 30000
                  }
                }
              ],
              "variables": {}
            }
            """;

        Assert.Equal(json, WorkflowJson.Serialize(ParseOk(json)));
    }

    [Fact]
    public void Fields_left_out_stay_left_out()
    {
        const string json = """
            {
              "workflow_id": "minimal",
              "steps": [
                {
                  "step_id": "a",
                  "step_type": "gmail",
                  "action": "list_messages"
                }
              ]
            }
            """;

        Assert.Equal(json, WorkflowJson.Serialize(ParseOk(json)));
    }

    [Fact]
    public void A_workflow_built_in_code_is_written_with_its_non_default_settings_only()
    {
        var workflow = new Workflow
        {
            WorkflowId = "built",
            Steps =
            [
                new WorkflowStep { StepId = "a", StepType = "template", Action = "render", Parameters = new JsonObject { ["text"] = "hi" } },
                new WorkflowStep
                {
                    StepId = "b", StepType = "template", Action = "render", OnError = OnError.Continue,
                    Retry = new RetrySettings { InitialDelayMs = 100 },
                },
            ],
        };

        var written = WorkflowJson.Serialize(workflow, indented: false);

        Assert.Equal(
            """{"workflow_id":"built","steps":[{"step_id":"a","step_type":"template","action":"render","parameters":{"text":"hi"}},"""
            + """{"step_id":"b","step_type":"template","action":"render","on_error":"continue","retry":{"initial_delay_ms":100}}]}""",
            written);
    }

    [Fact]
    public void A_changed_retry_setting_is_written_even_when_the_file_left_it_out()
    {
        var workflow = ParseOk(EmailToNotion);
        var summarize = workflow.Steps[1] with { Retry = workflow.Steps[1].Retry! with { MaxDelayMs = 1000 } };
        var changed = workflow with { Steps = [workflow.Steps[0], summarize, workflow.Steps[2]] };

        var reread = ParseOk(WorkflowJson.Serialize(changed));

        Assert.Equal(1000, reread.Steps[1].Retry!.MaxDelayMs);
        Assert.Equal(4, reread.Steps[1].Retry!.MaxAttempts);
    }

    [Fact]
    public void Values_keep_their_json_text_and_characters()
    {
        const string json = """
            {
              "workflow_id": "values",
              "steps": [
                {
                  "step_id": "a",
                  "step_type": "http",
                  "action": "request",
                  "parameters": {
                    "url": "https://example.test/?a=1&b=<2>",
                    "body": {
                      "price": 4.50,
                      "big": 12345678901234567890,
                      "ok": true,
                      "none": null,
                      "list": [
                        1,
                        "Zoë's \"café\""
                      ]
                    }
                  }
                }
              ],
              "variables": {
                "z_last": 1,
                "a_first": [],
                "empty": null
              }
            }
            """;

        var workflow = ParseOk(json);

        Assert.Equal(json, WorkflowJson.Serialize(workflow));
        Assert.Equal(["z_last", "a_first", "empty"], workflow.Variables.Keys);
        Assert.Null(workflow.Variables["empty"]);
    }

    [Fact]
    public void Short_spellings_of_later_seed_versions_read_the_same_and_are_written_long()
    {
        const string shortJson = """
            {"id": "short", "name": "Short", "steps": [
              {"id": "ask", "type": "openai", "action": "generate_completion", "params": {"prompt": "{{q}}"}}],
             "variables": {"q": "why?"}}
            """;
        const string longJson = """
            {"workflow_id": "short", "name": "Short", "steps": [
              {"step_id": "ask", "step_type": "openai", "action": "generate_completion", "parameters": {"prompt": "{{q}}"}}],
             "variables": {"q": "why?"}}
            """;

        var fromShort = WorkflowJson.Serialize(ParseOk(shortJson));

        Assert.Equal(WorkflowJson.Serialize(ParseOk(longJson)), fromShort);
        Assert.Contains("\"workflow_id\": \"short\"", fromShort);
        Assert.Contains("\"step_id\": \"ask\"", fromShort);
        Assert.Contains("\"step_type\": \"openai\"", fromShort);
        Assert.Contains("\"parameters\": {", fromShort);
        Assert.DoesNotContain("\"id\"", fromShort);
        Assert.DoesNotContain("\"params\"", fromShort);
    }

    [Fact]
    public void Both_spellings_of_a_field_at_once_is_an_error()
    {
        var errors = ParseErrors("""
            {"workflow_id": "a", "id": "b", "steps": [
              {"step_id": "s", "step_type": "template", "type": "http", "action": "render"}]}
            """);

        Assert.Equal(
        [
            "id: 'id' and 'workflow_id' are two spellings of the same field; keep only 'workflow_id'",
            "steps[0].type: 'type' and 'step_type' are two spellings of the same field; keep only 'step_type'",
        ], errors);
    }

    [Fact]
    public void An_unknown_field_is_named_with_a_suggestion_and_the_allowed_fields()
    {
        var errors = ParseErrors("""
            {"workflow_id": "a", "steps": [
              {"step_id": "s", "step_type": "template", "action": "render", "timeout_secs": 5, "colour": "red"}],
             "varaibles": {}}
            """);

        Assert.Equal(
        [
            "varaibles: unknown field 'varaibles' (did you mean 'variables'?); a workflow has the fields: workflow_id (or id), name, description, steps, variables, on_failure, triggers, mcp",
            "steps[0].timeout_secs: unknown field 'timeout_secs' (did you mean 'timeout_seconds'?); a step has the fields: step_id (or id), step_type (or type), action, parameters (or params), on_error, retry, timeout_seconds, when, for_each, concurrency, depends_on, next_step",
            "steps[0].colour: unknown field 'colour'; a step has the fields: step_id (or id), step_type (or type), action, parameters (or params), on_error, retry, timeout_seconds, when, for_each, concurrency, depends_on, next_step",
        ], errors);
    }

    [Fact]
    public void An_unknown_retry_field_is_named()
    {
        var errors = ParseErrors("""
            {"workflow_id": "a", "steps": [
              {"step_id": "s", "step_type": "template", "action": "render", "retry": {"attempts": 2}}]}
            """);

        Assert.Equal(["steps[0].retry.attempts: unknown field 'attempts'; retry has the fields: max_attempts, initial_delay_ms, max_delay_ms"], errors);
    }

    [Fact]
    public void Wrong_types_say_what_was_expected_and_what_was_found()
    {
        var errors = ParseErrors("""
            {"workflow_id": 7, "name": ["x"], "steps": [
              {"step_id": "a", "step_type": "template", "action": "render"},
              {"step_id": "b", "step_type": "template", "action": "render", "timeout_seconds": "60",
               "parameters": "text", "on_error": "stop", "retry": {"max_attempts": 2.5, "initial_delay_ms": true}}],
             "variables": ["x"]}
            """);

        Assert.Equal(
        [
            "workflow_id: expected a string, got a number (7)",
            "name: expected a string, got an array",
            "steps[1].parameters: expected an object of parameters such as {\"prompt\": \"...\"}, got a string (\"text\")",
            "steps[1].on_error: expected \"abort\" (stop the run when this step fails) or \"continue\" (go on with the next step), got a string (\"stop\")",
            "steps[1].retry.max_attempts: expected a whole number of attempts, got a number (2.5)",
            "steps[1].retry.initial_delay_ms: expected a whole number of milliseconds, got a boolean (true)",
            "steps[1].timeout_seconds: expected a whole number of seconds, got a string (\"60\")",
            "variables: expected an object of default values such as {\"topic\": \"onboarding\"}, got an array",
        ], errors);
    }

    [Fact]
    public void Steps_must_be_a_list_of_objects()
    {
        Assert.Equal(
            ["steps: expected a list of steps [...], got an object"],
            ParseErrors("""{"workflow_id": "a", "steps": {"step_id": "x"}}"""));
        Assert.Equal(
            ["steps[1]: expected a step object such as {\"step_id\": \"ask\", \"step_type\": \"openai\", \"action\": \"generate_completion\"}, got a string (\"second\")"],
            ParseErrors("""{"workflow_id": "a", "steps": [{"step_id": "x", "step_type": "t", "action": "a"}, "second"]}"""));
    }

    [Fact]
    public void Missing_required_fields_are_each_reported()
    {
        var errors = ParseErrors("""{"name": "no id", "steps": [{"step_id": "a"}, {"type": "http", "action": "request"}]}""");

        Assert.Equal(
        [
            "workflow_id: required field is missing; give the workflow an id, e.g. \"workflow_id\": \"email_digest\"",
            "steps[0].step_type: required field is missing; say which kind of step this is, e.g. \"step_type\": \"openai\"",
            "steps[0].action: required field is missing; say what the step does, e.g. \"action\": \"generate_completion\"",
            "steps[1].step_id: required field is missing; give the step an id, e.g. \"step_id\": \"summarize\"; later steps read its output as {{summarize_output}}",
        ], errors);
    }

    [Fact]
    public void Missing_steps_is_reported()
    {
        Assert.StartsWith("steps: required field is missing; list the steps to run", Assert.Single(ParseErrors("""{"workflow_id": "a"}""")));
    }

    [Fact]
    public void Null_for_an_optional_field_reads_as_absent()
    {
        var workflow = ParseOk("""
            {"workflow_id": "a", "description": null, "steps": [
              {"step_id": "s", "step_type": "template", "action": "render", "retry": null, "timeout_seconds": null, "on_error": null, "parameters": null}],
             "variables": null}
            """);

        Assert.Null(workflow.Description);
        Assert.Null(workflow.Steps[0].Retry);
        Assert.Null(workflow.Steps[0].TimeoutSeconds);
        Assert.Empty(workflow.Steps[0].Parameters);
        Assert.Empty(workflow.Variables);
    }

    [Fact]
    public void Malformed_json_gives_the_line_and_byte_of_the_problem()
    {
        var error = Assert.Single(ParseErrors("{\n  \"workflow_id\": \"a\",\n  \"steps\" []\n}"));

        Assert.StartsWith("the document is not valid JSON at line 3, byte 11: ", error);
        Assert.DoesNotContain("LineNumber", error);
    }

    [Fact]
    public void A_trailing_comma_is_malformed_json()
    {
        Assert.StartsWith("the document is not valid JSON at line 1, ", Assert.Single(ParseErrors("""{"workflow_id": "a", "steps": [],}""")));
    }

    [Fact]
    public void A_property_given_twice_is_an_error_rather_than_a_silent_choice()
    {
        var errors = ParseErrors("""
            {"workflow_id": "a", "workflow_id": "b", "steps": [
              {"step_id": "s", "step_type": "http", "action": "request", "parameters": {"url": "x", "url": "y"}}]}
            """);

        Assert.Equal(
        [
            "workflow_id: 'workflow_id' is given more than once in the same object; keep one",
            "steps[0].parameters.url: 'url' is given more than once in the same object; keep one",
        ], errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    public void An_empty_document_is_an_error(string json)
    {
        Assert.Equal(
            ["the document is empty; a workflow is a JSON object such as {\"workflow_id\": \"my_workflow\", \"steps\": [...]}"],
            ParseErrors(json));
    }

    [Fact]
    public void A_document_that_is_not_an_object_is_an_error()
    {
        Assert.Equal(
            ["a workflow file holds one JSON object such as {\"workflow_id\": \"my_workflow\", \"steps\": [...]}, but this one holds an array"],
            ParseErrors("[1, 2]"));
    }

    [Fact]
    public void A_document_over_the_size_limit_is_refused_before_parsing()
    {
        var json = $$$"""{"workflow_id": "a", "steps": [], "variables": {"big": "{{{new string('x', WorkflowLimits.MaxDocumentBytes)}}}"}}""";

        Assert.Equal(
            ["the document is 1.0 MiB, over the limit of 1.0 MiB; move long texts into prompt templates or run inputs"],
            ParseErrors(json));
    }

    [Fact]
    public void The_size_limit_counts_utf8_bytes_not_characters()
    {
        // 400,000 three-byte characters: 1.1 MiB in UTF-8 although under a million characters.
        var json = $$$"""{"workflow_id": "a", "steps": [], "variables": {"big": "{{{new string('€', 400_000)}}}"}}""";

        Assert.Contains("over the limit of 1.0 MiB;", Assert.Single(ParseErrors(json)));
        Assert.True(json.Length < WorkflowLimits.MaxDocumentBytes);
        Assert.True(Encoding.UTF8.GetByteCount(json) > WorkflowLimits.MaxDocumentBytes);
    }

    [Fact]
    public void More_steps_than_the_limit_is_an_error_naming_the_limit()
    {
        var steps = string.Join(",", Enumerable.Range(0, WorkflowLimits.MaxSteps + 1)
            .Select(i => $$"""{"step_id": "s{{i}}", "step_type": "template", "action": "render"}"""));

        Assert.Equal(
            ["steps: the workflow has 101 steps, over the limit of 100; split it into smaller workflows"],
            ParseErrors($$"""{"workflow_id": "a", "steps": [{{steps}}]}"""));
    }

    [Fact]
    public void Exactly_the_step_limit_is_accepted()
    {
        var steps = string.Join(",", Enumerable.Range(0, WorkflowLimits.MaxSteps)
            .Select(i => $$"""{"step_id": "s{{i}}", "step_type": "template", "action": "render"}"""));

        Assert.Equal(WorkflowLimits.MaxSteps, ParseOk($$"""{"workflow_id": "a", "steps": [{{steps}}]}""").Steps.Count);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_an_error_naming_the_limit()
    {
        var deep = new string('[', 70) + new string(']', 70);

        var error = Assert.Single(ParseErrors($$$"""{"workflow_id": "a", "steps": [], "variables": {"deep": {{{deep}}}}}"""));

        Assert.StartsWith("the document nests objects and arrays deeper than 64 levels at line 1, byte ", error);
    }
}
