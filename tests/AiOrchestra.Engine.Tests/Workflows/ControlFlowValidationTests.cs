using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Workflows;

/// <summary>when, for_each, concurrency, depends_on and next_step: read, checked with precise paths, written back.</summary>
public sealed class ControlFlowValidationTests
{
    private static readonly WorkflowValidator Validator = new(FakeSteps.Catalog);

    private static IReadOnlyList<string> Errors(string steps, string variables = "{}")
    {
        var parsed = WorkflowJson.Parse($$"""{"workflow_id": "w", "steps": [{{steps}}], "variables": {{variables}}}""");
        return Validator.Validate(parsed).Select(e => e.ToString()).ToList();
    }

    private const string Fetch = """{"step_id": "fetch", "step_type": "gmail", "action": "list_messages"}""";

    [Fact]
    public void A_workflow_using_every_construct_validates_and_writes_back_to_the_same_text()
    {
        const string text = """
            {
              "workflow_id": "w",
              "steps": [
                {
                  "step_id": "fetch",
                  "step_type": "gmail",
                  "action": "list_messages",
                  "next_step": "triage"
                },
                {
                  "step_id": "triage",
                  "step_type": "template",
                  "action": "render",
                  "parameters": {
                    "text": "yes"
                  },
                  "next_step": "pages"
                },
                {
                  "step_id": "pages",
                  "step_type": "notion",
                  "action": "create_page",
                  "parameters": {
                    "title": "{{item.subject}} ({{item_index}})",
                    "content": "{{triage_output}}"
                  },
                  "when": "{{triage_output}} == 'yes' and not empty(fetch_output)",
                  "for_each": "{{fetch_output}}",
                  "concurrency": 4,
                  "depends_on": [
                    "fetch",
                    "triage"
                  ],
                  "next_step": null
                }
              ]
            }
            """;
        var parsed = WorkflowJson.Parse(text);

        Assert.Empty(Validator.Validate(parsed));
        var step = parsed.Workflow!.Steps[2];
        Assert.Equal("{{triage_output}} == 'yes' and not empty(fetch_output)", step.When);
        Assert.Equal("{{fetch_output}}", step.ForEach!.GetValue<string>());
        Assert.Equal(4, step.Concurrency);
        Assert.Equal(["fetch", "triage"], step.DependsOn);
        Assert.Equal(text, WorkflowJson.Serialize(parsed.Workflow));
    }

    [Fact]
    public void A_condition_that_does_not_parse_names_the_field_and_the_position()
    {
        Assert.Equal(
            ["steps[1].when: at position 17: '=' alone is not a comparison; write '==' to compare"],
            Errors(Fetch + """, {"step_id": "b", "step_type": "template", "action": "render", "parameters": {"text": "x"}, "when": "{{fetch_output}} = 1"}"""));
    }

    [Fact]
    public void A_condition_reading_an_unknown_variable_or_a_later_step_says_where()
    {
        var errors = Errors("""{"step_id": "fetch", "step_type": "gmail", "action": "list_messages", "when": "fetch_outptu == null or b_output"}, {"step_id": "b", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""");

        Assert.Equal(2, errors.Count);
        Assert.Equal("steps[0].when: at position 0: unknown variable 'fetch_outptu'; declare it under \"variables\" (a run's inputs override the default), or read an earlier step's output as {{<step_id>_output}}", errors[0]);
        Assert.Equal("steps[0].when: at position 24: 'b_output' is the output of step 'b' (steps[1]), which runs after this one; move step 'b' before step 'fetch', or use a variable instead", errors[1]);
    }

    [Fact]
    public void A_when_that_is_not_text_is_a_type_error()
    {
        Assert.Equal(["steps[0].when: expected a string, got a boolean (true)"], Errors("""{"step_id": "a", "step_type": "gmail", "action": "list_messages", "when": true}"""));
    }

    [Fact]
    public void Item_and_item_index_are_known_only_inside_a_loop()
    {
        Assert.Equal(
            ["steps[0].parameters.text: unknown variable 'item'; declare it under \"variables\" (a run's inputs override the default), or read an earlier step's output as {{<step_id>_output}}"],
            Errors("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{item}}"}}"""));
        Assert.Empty(Errors("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{item}} {{item_index}}"}, "for_each": [1, 2]}"""));
    }

    [Fact]
    public void A_condition_may_read_the_item_only_in_a_loop()
    {
        Assert.Empty(Errors("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}, "for_each": [1], "when": "item > 0 and item_index < 5"}"""));
        Assert.Equal(
            ["steps[0].when: at position 0: unknown variable 'item'; declare it under \"variables\" (a run's inputs override the default), or read an earlier step's output as {{<step_id>_output}}"],
            Errors("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}, "when": "item > 0"}"""));
    }

    [Theory]
    [InlineData("42", "steps[1].for_each: expected a list [...] or one reference to a list, such as \"{{fetch_output}}\", got a number (42)")]
    [InlineData("\"a {{fetch_output}}\"", "steps[1].for_each: expected one reference to a list, such as \"{{fetch_output}}\", got a string (\"a {{fetch_output}}\")")]
    [InlineData("\"{{fetch_outptu}}\"", "steps[1].for_each: unknown variable 'fetch_outptu' (did you mean 'fetch_output'?)")]
    [InlineData("\"{{b_output}}\"", "steps[1].for_each: 'b_output' is the output of this step itself, which does not exist while it runs; use a variable or the output of an earlier step")]
    public void A_for_each_that_cannot_give_a_list_is_an_error(string forEach, string error)
    {
        Assert.Equal([error], Errors(Fetch + $$""", {"step_id": "b", "step_type": "template", "action": "render", "parameters": {"text": "x"}, "for_each": {{forEach}}}"""));
    }

    [Theory]
    [InlineData(", \"concurrency\": 2", "steps[0].concurrency: concurrency says how many items of a for_each run at once; add \"for_each\" or remove it")]
    [InlineData(", \"for_each\": [1], \"concurrency\": 0", "steps[0].concurrency: must be between 1 and 1000 items at once, got 0")]
    [InlineData(", \"for_each\": [1], \"concurrency\": 1001", "steps[0].concurrency: must be between 1 and 1000 items at once, got 1001")]
    [InlineData(", \"for_each\": [1], \"concurrency\": \"4\"", "steps[0].concurrency: expected a whole number of items run at once, got a string (\"4\")")]
    public void Concurrency_needs_a_loop_and_a_sane_number(string fields, string error)
    {
        Assert.Equal([error], Errors($$"""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}{{fields}}}"""));
    }

    [Fact]
    public void Depends_on_names_earlier_steps_only()
    {
        var errors = Errors(Fetch + """
            , {"step_id": "b", "step_type": "template", "action": "render", "parameters": {"text": "x"}, "depends_on": ["fetch", "fetch", "c", "b", "fecth", 3]},
              {"step_id": "c", "step_type": "template", "action": "render", "parameters": {"text": "x"}}
            """);

        Assert.Equal(
            [
                "steps[1].depends_on[5]: expected a step id, got a number (3)",
                "steps[1].depends_on[1]: 'fetch' is listed twice; keep one",
                "steps[1].depends_on[2]: step 'c' (steps[2]) comes after this one; depends_on names earlier steps, so move step 'c' before this one",
                "steps[1].depends_on[3]: a step cannot wait for itself; remove 'b'",
                "steps[1].depends_on[4]: unknown step \"fecth\" (did you mean 'fetch'?); depends_on names earlier steps of this workflow",
            ],
            errors);
    }

    [Fact]
    public void With_depends_on_a_step_may_read_only_the_steps_it_waits_for()
    {
        var errors = Errors(Fetch + """
            , {"step_id": "left", "step_type": "template", "action": "render", "parameters": {"text": "{{fetch_output}}"}, "depends_on": ["fetch"]},
              {"step_id": "right", "step_type": "template", "action": "render", "parameters": {"text": "{{left_output}}"}, "depends_on": ["fetch"]},
              {"step_id": "join", "step_type": "template", "action": "render", "parameters": {"text": "{{left_output}} {{right_output}} {{fetch_output}}"}}
            """);

        // join has no depends_on, so it waits for the step before it (right), which waits for fetch, but not for left
        Assert.Equal(
            [
                "steps[2].parameters.text: 'left_output' is the output of step 'left', which this step does not wait for (it may still be running); add \"left\" to this step's depends_on",
                "steps[3].parameters.text: 'left_output' is the output of step 'left', which this step does not wait for (it may still be running); add \"left\" to this step's depends_on",
            ],
            errors);
    }

    [Fact]
    public void Depends_on_that_is_not_a_list_is_a_type_error()
    {
        Assert.Equal(
            ["steps[1].depends_on: expected a list of earlier step ids such as [\"fetch\", \"triage\"], got a string (\"fetch\")"],
            Errors(Fetch + """, {"step_id": "b", "step_type": "gmail", "action": "list_messages", "depends_on": "fetch"}"""));
    }

    [Theory]
    [InlineData("\"nope\"", null, "steps[0].next_step: unknown step \"nope\"")]
    [InlineData("\"b\"", "\"a\"", "steps[2].next_step: 'a' is not listed after this step: next_step may only go forward (a chain that comes back would loop for ever); name a later step, or null to end the run")]
    [InlineData("\"a\"", null, "steps[0].next_step: 'a' is not listed after this step: next_step may only go forward (a chain that comes back would loop for ever); name a later step, or null to end the run")]
    [InlineData("5", null, "steps[0].next_step: expected the id of the step that runs next, or null to end the run, got a number (5)")]
    public void Next_step_names_a_later_step_or_null(string first, string? last, string error)
    {
        var lastField = last is null ? "" : $", \"next_step\": {last}";
        var errors = Errors($$"""
            {"step_id": "a", "step_type": "gmail", "action": "list_messages", "next_step": {{first}}},
            {"step_id": "b", "step_type": "gmail", "action": "list_messages"},
            {"step_id": "c", "step_type": "gmail", "action": "list_messages"{{lastField}}}
            """);

        Assert.Equal([error], errors.Select(e => e.StartsWith("steps[0].next_step: unknown step") ? e[..e.IndexOf('"', e.IndexOf('"') + 1)] + "\"" : e));
    }

    [Theory]
    [InlineData("\"c\"", null)]
    [InlineData("null", null)]
    [InlineData("\"b\"", "null")]
    public void A_jump_forward_or_an_early_end_is_valid_as_the_original_ran_it(string first, string? last)
    {
        var lastField = last is null ? "" : $", \"next_step\": {last}";
        Assert.Empty(Errors($$"""
            {"step_id": "a", "step_type": "gmail", "action": "list_messages", "next_step": {{first}}},
            {"step_id": "b", "step_type": "gmail", "action": "list_messages"},
            {"step_id": "c", "step_type": "gmail", "action": "list_messages"{{lastField}}}
            """));
    }

    [Fact]
    public void A_variable_named_item_is_refused_in_a_workflow_that_loops()
    {
        Assert.Equal(
            ["steps[0].for_each: the variable 'item' has the name a for_each step gives its current item; rename the variable"],
            Errors("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}, "for_each": [1]}""", """{"item": 1}"""));
    }
}

public sealed class FailureHandlerValidationTests
{
    private static readonly WorkflowValidator Validator = new(FakeSteps.Catalog);

    private static IReadOnlyList<string> Errors(string onFailure) => Validator.Validate(WorkflowJson.Parse($$"""
        {"workflow_id": "w", "steps": [{"step_id": "a", "step_type": "gmail", "action": "list_messages"}], "on_failure": {{onFailure}}}
        """)).Select(e => e.ToString()).ToList();

    [Fact]
    public void A_handler_reads_and_writes_back_to_the_same_text()
    {
        const string text = """
            {
              "workflow_id": "w",
              "steps": [
                {
                  "step_id": "a",
                  "step_type": "gmail",
                  "action": "list_messages"
                }
              ],
              "on_failure": {
                "workflow_id": "alert",
                "variables": {
                  "message": "{{failed_run.workflow_id}} failed at {{failed_run.failed_step}}: {{failed_run.error}} ({{failed_run.id}})"
                }
              }
            }
            """;
        var parsed = WorkflowJson.Parse(text);

        Assert.Empty(Validator.Validate(parsed));
        Assert.Equal("alert", parsed.Workflow!.OnFailure!.WorkflowId);
        Assert.Equal(text, WorkflowJson.Serialize(parsed.Workflow));
    }

    [Theory]
    [InlineData("""{"workflow_id": "w"}""", "on_failure.workflow_id: a workflow cannot be its own failure handler (a failing handler would start itself again); name another workflow")]
    [InlineData("""{"workflow_id": "Bad Id"}""", "on_failure.workflow_id: \"Bad Id\" is not a valid workflow id; use 1 to 64 lowercase letters, digits, '_' or '-'")]
    [InlineData("""{"variables": {}}""", "on_failure.workflow_id: required field is missing; name the workflow to start when a run fails, e.g. \"workflow_id\": \"alert\"")]
    [InlineData("""{"workflow_id": "alert", "variables": {"m": "{{fetch_output}}"}}""", "on_failure.variables.m: unknown variable 'fetch_output'; a failure handler's variables read only {{failed_run.id}}, {{failed_run.workflow_id}}, {{failed_run.error}}, {{failed_run.failed_step}}")]
    [InlineData("""{"workflow_id": "alert", "variables": {"m": "{{failed_run.eror}}"}}""", "on_failure.variables.m: 'failed_run.eror' is not known; use one of failed_run.id, failed_run.workflow_id, failed_run.error, failed_run.failed_step")]
    [InlineData("""{"workflow_id": "alert", "variables": []}""", "on_failure.variables: expected an object of the handler's inputs such as {\"message\": \"{{failed_run.error}}\"}, got an array")]
    [InlineData("""{"workflow_id": "alert", "colour": 1}""", "on_failure.colour: unknown field 'colour'; on_failure has the fields: workflow_id, variables")]
    [InlineData("\"alert\"", "on_failure: expected an object such as {\"workflow_id\": \"alert\", \"variables\": {\"message\": \"{{failed_run.error}}\"}}, got a string (\"alert\")")]
    public void A_handler_that_cannot_be_started_as_written_is_an_error(string onFailure, string error)
    {
        Assert.Equal([error], Errors(onFailure));
    }
}
