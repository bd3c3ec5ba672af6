using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Workflows;

public class WorkflowValidatorTests
{
    private static readonly WorkflowValidator Validator = new(FakeSteps.Catalog);

    private static Workflow Read(string json)
    {
        var result = WorkflowJson.Parse(json);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Workflow!;
    }

    /// <summary>The inputs checked against a workflow that declares every one of them, so only their values and names are judged.</summary>
    private static IReadOnlyList<ValidationError> CheckDeclared(Dictionary<string, JsonNode?> inputs) =>
        WorkflowValidator.ValidateInputs(new Workflow { WorkflowId = "w", Variables = inputs.ToDictionary(i => i.Key, _ => (JsonNode?)null) }, inputs);

    private static IReadOnlyList<string> Errors(string json) => Validator.Validate(Read(json)).Select(e => e.ToString()).ToList();

    /// <summary>A one-step workflow around <paramref name="step"/> (a JSON object), with the given variables.</summary>
    private static string OneStep(string step, string variables = "{}") =>
        $$"""{"workflow_id": "w", "steps": [{{step}}], "variables": {{variables}}}""";

    [Fact]
    public void A_valid_workflow_has_no_errors()
    {
        Assert.Empty(Errors("""
            {"workflow_id": "digest-2", "steps": [
              {"step_id": "fetch", "step_type": "gmail", "action": "list_messages", "parameters": {"query": "{{q}}", "max_results": 5}},
              {"step_id": "ask", "step_type": "openai", "action": "generate_completion",
               "parameters": {"prompt": "{{fetch[0].subject}} and {{ fetch_output }}", "temperature": 0.2},
               "retry": {"max_attempts": 10, "initial_delay_ms": 0, "max_delay_ms": 300000}, "timeout_seconds": 3600}],
             "variables": {"q": "is:unread"}}
            """));
    }

    [Theory]
    [InlineData("Email To Notion")]
    [InlineData("UPPER")]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("trailing_newline\n")]
    public void A_workflow_id_outside_the_pattern_is_an_error(string id)
    {
        var workflow = Read(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""")) with { WorkflowId = id };

        var error = Assert.Single(Validator.Validate(workflow));

        Assert.Equal("workflow_id", error.Path);
        Assert.EndsWith("is not a valid workflow id; use 1 to 64 lowercase letters, digits, '_' or '-', e.g. \"email_digest\"", error.Message);
    }

    [Fact]
    public void Invalid_values_are_quoted_as_they_would_be_written_in_the_file()
    {
        var workflow = Read(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""")) with { WorkflowId = "two\nlines \"q\"" };

        Assert.StartsWith("\"two\\nlines \\\"q\\\"\" is not a valid workflow id", Assert.Single(Validator.Validate(workflow)).Message);
    }

    [Fact]
    public void Long_invalid_values_are_shortened_in_messages()
    {
        var workflow = Read(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""")) with { WorkflowId = new string('X', 500) };

        Assert.StartsWith($"\"{new string('X', 40)}...\" is not a valid workflow id", Assert.Single(Validator.Validate(workflow)).Message);
    }

    [Fact]
    public void A_workflow_id_of_65_characters_is_too_long()
    {
        var workflow = Read(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""")) with { WorkflowId = new string('a', 65) };

        Assert.Equal("workflow_id", Assert.Single(Validator.Validate(workflow)).Path);
        Assert.Empty(Validator.Validate(workflow with { WorkflowId = new string('a', 64) }));
    }

    [Fact]
    public void A_workflow_without_steps_is_an_error()
    {
        Assert.Equal(["steps: a workflow needs at least one step"], Errors("""{"workflow_id": "w", "steps": []}"""));
    }

    [Fact]
    public void A_workflow_built_in_code_with_too_many_steps_is_an_error_naming_the_limit()
    {
        var step = new WorkflowStep { StepId = "a", StepType = "template", Action = "render", Parameters = new JsonObject { ["text"] = "x" } };
        var workflow = new Workflow { WorkflowId = "w", Steps = Enumerable.Range(0, 101).Select(i => step with { StepId = $"s{i}" }).ToList() };

        Assert.Equal(
            ["steps: the workflow has 101 steps, over the limit of 100; split it into smaller workflows"],
            Validator.Validate(workflow).Select(e => e.ToString()));
    }

    [Fact]
    public void Step_ids_must_match_the_pattern()
    {
        Assert.Equal(
            ["steps[0].step_id: \"send-mail\" is not a valid step id; use 1 to 64 letters, digits or '_', e.g. \"summarize\""],
            Errors(OneStep("""{"step_id": "send-mail", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""")));
    }

    [Fact]
    public void Step_ids_must_be_unique()
    {
        var errors = Errors("""
            {"workflow_id": "w", "steps": [
              {"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "1"}},
              {"step_id": "b", "step_type": "template", "action": "render", "parameters": {"text": "2"}},
              {"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "3"}}]}
            """);

        Assert.Equal(["steps[2].step_id: 'a' is already the id of steps[0]; give each step its own id"], errors);
    }

    [Fact]
    public void A_step_id_may_not_equal_a_variable_name()
    {
        Assert.Equal(
            ["steps[0].step_id: 'topic' is also the name of a variable, so {{topic}} would be ambiguous; rename the step or the variable"],
            Errors(OneStep("""{"step_id": "topic", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""", """{"topic": "t"}""")));
    }

    [Fact]
    public void A_variable_may_not_take_the_output_name_of_a_step()
    {
        Assert.Equal(
            ["steps[0].step_id: the variable 'ask_output' has the name this step's output is read by; rename the step or the variable"],
            Errors(OneStep("""{"step_id": "ask", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""", """{"ask_output": ""}""")));
    }

    [Fact]
    public void An_unknown_step_type_suggests_the_closest_and_lists_the_known_ones()
    {
        Assert.Equal(
            ["steps[0].step_type: unknown step type \"opnai\" (did you mean 'openai'?); known step types: github, gmail, http, notion, openai, prompt, template"],
            Errors(OneStep("""{"step_id": "a", "step_type": "opnai", "action": "generate_completion"}""")));
    }

    [Fact]
    public void An_unknown_step_type_with_nothing_close_lists_the_known_ones()
    {
        Assert.Equal(
            ["steps[0].step_type: unknown step type \"slack\"; known step types: github, gmail, http, notion, openai, prompt, template"],
            Errors(OneStep("""{"step_id": "a", "step_type": "slack", "action": "post"}""")));
    }

    [Fact]
    public void With_no_step_types_installed_the_error_says_so()
    {
        var workflow = Read(OneStep("""{"step_id": "a", "step_type": "template", "action": "render"}"""));

        var error = Assert.Single(new WorkflowValidator(new StepCatalog([])).Validate(workflow));

        Assert.Equal("steps[0].step_type: unknown step type \"template\"; no step types are installed", error.ToString());
    }

    [Fact]
    public void An_unknown_action_suggests_the_closest_and_lists_the_actions_of_the_type()
    {
        Assert.Equal(
            ["steps[0].action: step type 'github' has no action \"create_isue\" (did you mean 'create_issue'?); its actions are: create_issue, update_issue, create_file, list_repos, create_branch"],
            Errors(OneStep("""{"step_id": "a", "step_type": "github", "action": "create_isue"}""")));
    }

    [Fact]
    public void Missing_required_parameters_are_each_reported_at_their_path()
    {
        Assert.Equal(
        [
            "steps[0].parameters.repo: required parameter 'repo' of github.create_file is missing (The repo)",
            "steps[0].parameters.content: required parameter 'content' of github.create_file is missing (The content)",
        ], Errors(OneStep("""{"step_id": "a", "step_type": "github", "action": "create_file", "parameters": {"path": "x.md", "repo": null}}""")));
    }

    [Fact]
    public void Unknown_parameters_suggest_the_closest_and_list_the_allowed_ones()
    {
        Assert.Equal(
        [
            "steps[0].parameters.promt: unknown parameter 'promt' (did you mean 'prompt'?); openai.generate_completion takes: prompt, template_id, variables, model, system, temperature, max_tokens, output_schema, provider",
        ], Errors(OneStep("""{"step_id": "a", "step_type": "openai", "action": "generate_completion", "parameters": {"promt": "hi"}}""")));
    }

    [Fact]
    public void Parameters_of_the_wrong_json_type_say_what_was_expected()
    {
        var errors = Errors(OneStep("""
            {"step_id": "a", "step_type": "openai", "action": "chat_completion",
             "parameters": {"messages": "hello", "model": 4, "temperature": "warm", "max_tokens": 10.5, "prompt": {"x": 1}}}
            """));

        Assert.Equal(
        [
            "steps[0].parameters.messages: expected a list [...], got a string (\"hello\")",
            "steps[0].parameters.prompt: expected a string, got an object",
            "steps[0].parameters.model: expected a string, got a number (4)",
            "steps[0].parameters.temperature: expected a number, got a string (\"warm\")",
            "steps[0].parameters.max_tokens: expected a whole number, got a number (10.5)",
        ], errors);
    }

    [Fact]
    public void Whole_numbers_booleans_objects_and_any_are_accepted_for_their_types()
    {
        Assert.Empty(Errors(OneStep("""
            {"step_id": "a", "step_type": "http", "action": "request",
             "parameters": {"url": "https://x", "headers": {"A": "b"}, "body": [1, true], "expect_status": 201.0}}
            """)));
    }

    [Fact]
    public void A_boolean_parameter_takes_true_or_false()
    {
        var catalog = new StepCatalog([FakeSteps.Type("flags", FakeSteps.Action("set", FakeSteps.Required("on", ParameterType.Boolean)))]);
        var validator = new WorkflowValidator(catalog);

        Assert.Empty(validator.Validate(Read(OneStep("""{"step_id": "a", "step_type": "flags", "action": "set", "parameters": {"on": false}}"""))));
        Assert.Equal(
            "steps[0].parameters.on: expected true or false, got a string (\"yes\")",
            Assert.Single(validator.Validate(Read(OneStep("""{"step_id": "a", "step_type": "flags", "action": "set", "parameters": {"on": "yes"}}""")))).ToString());
    }

    [Fact]
    public void A_string_with_a_reference_is_accepted_for_any_type_since_it_renders_at_run_time()
    {
        Assert.Empty(Errors(OneStep("""
            {"step_id": "a", "step_type": "gmail", "action": "list_messages", "parameters": {"max_results": "{{n}}"}}
            """, """{"n": 5}""")));
    }

    [Fact]
    public void A_template_syntax_error_is_reported_at_the_path_of_its_string_once()
    {
        var errors = Errors(OneStep("""
            {"step_id": "a", "step_type": "gmail", "action": "list_messages", "parameters": {"max_results": "{{n", "query": "x"}}
            """, """{"n": 5}"""));

        Assert.Equal(["steps[0].parameters.max_results: '{{' at position 0 is never closed: add '}}' after the variable name, or write '\\{{' for a literal '{{'."], errors);
    }

    [Fact]
    public void Syntax_errors_inside_nested_parameters_carry_the_nested_path()
    {
        var errors = Errors(OneStep("""
            {"step_id": "a", "step_type": "prompt", "action": "render",
             "parameters": {"template_id": "t", "variables": {"text": "ok", "list": ["{{ a b }}"]}}}
            """));

        Assert.Equal(["steps[0].parameters.variables.list[0]: '{{ a b }}' at position 0 is not a valid reference: ' ' is not allowed here; only names, '.field' and '[index]' are."], errors);
    }

    [Fact]
    public void An_unknown_variable_suggests_the_closest_known_name()
    {
        var errors = Errors("""
            {"workflow_id": "email_to_notion", "steps": [
              {"step_id": "fetch", "step_type": "gmail", "action": "list_messages", "parameters": {"query": "{{email_qeury}}"}},
              {"step_id": "summarize", "step_type": "openai", "action": "summarize", "parameters": {"text": "{{fetch_output}}"}},
              {"step_id": "save", "step_type": "notion", "action": "create_page",
               "parameters": {"parent_page_id": "{{notion_page_id}}", "title": "Digest", "content": "{{sumarize_output}}"}}],
             "variables": {"email_query": "is:unread", "notion_page_id": ""}}
            """);

        Assert.Equal(
        [
            "steps[0].parameters.query: unknown variable 'email_qeury' (did you mean 'email_query'?)",
            "steps[2].parameters.content: unknown variable 'sumarize_output' (did you mean 'summarize_output'?)",
        ], errors);
    }

    [Fact]
    public void An_unknown_variable_with_nothing_close_says_how_to_define_it()
    {
        Assert.Equal(
            ["steps[0].parameters.text: unknown variable 'customer'; declare it under \"variables\" (a run's inputs override the default), or read an earlier step's output as {{<step_id>_output}}"],
            Errors(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "Dear {{customer}}"}}""")));
    }

    [Fact]
    public void A_reference_to_a_later_step_says_it_runs_after_and_what_to_do()
    {
        var errors = Errors("""
            {"workflow_id": "w", "steps": [
              {"step_id": "draft", "step_type": "template", "action": "render", "parameters": {"text": "{{save_output.url}} {{save.id}}"}},
              {"step_id": "save", "step_type": "template", "action": "render", "parameters": {"text": "{{draft_output}}"}}]}
            """);

        Assert.Equal(
        [
            "steps[0].parameters.text: 'save_output' is the output of step 'save' (steps[1]), which runs after this one; move step 'save' before step 'draft', or use a variable instead",
            "steps[0].parameters.text: 'save' is the output of step 'save' (steps[1]), which runs after this one; move step 'save' before step 'draft', or use a variable instead",
        ], errors);
    }

    [Fact]
    public void A_reference_to_the_step_itself_is_an_error()
    {
        Assert.Equal(
            ["steps[0].parameters.text: 'a_output' is the output of this step itself, which does not exist while it runs; use a variable or the output of an earlier step"],
            Errors(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{a_output}}"}}""")));
    }

    [Fact]
    public void Earlier_outputs_may_be_read_by_output_name_or_by_step_id_with_paths()
    {
        Assert.Empty(Errors("""
            {"workflow_id": "w", "steps": [
              {"step_id": "fetch", "step_type": "gmail", "action": "list_messages"},
              {"step_id": "b", "step_type": "template", "action": "render", "parameters": {"text": "{{fetch[0].subject}} {{fetch_output[1].id}}"}}]}
            """));
    }

    [Fact]
    public void Escaped_braces_are_not_references()
    {
        Assert.Empty(Errors(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "write \\{{name}} literally"}}""")));
    }

    [Theory]
    [InlineData("\"timeout_seconds\": 0", "steps[0].timeout_seconds: must be between 1 and 3600 seconds, got 0")]
    [InlineData("\"timeout_seconds\": 3601", "steps[0].timeout_seconds: must be between 1 and 3600 seconds, got 3601")]
    [InlineData("\"retry\": {\"max_attempts\": 0}", "steps[0].retry.max_attempts: must be between 1 and 10, got 0; 1 means no retry")]
    [InlineData("\"retry\": {\"max_attempts\": 11}", "steps[0].retry.max_attempts: must be between 1 and 10, got 11; 1 means no retry")]
    [InlineData("\"retry\": {\"initial_delay_ms\": -1}", "steps[0].retry.initial_delay_ms: must be between 0 and 300000 milliseconds, got -1")]
    [InlineData("\"retry\": {\"max_delay_ms\": 300001}", "steps[0].retry.max_delay_ms: must be between 0 and 300000 milliseconds, got 300001")]
    [InlineData("\"retry\": {\"initial_delay_ms\": 2000, \"max_delay_ms\": 1000}", "steps[0].retry.max_delay_ms: is 1000, shorter than initial_delay_ms (2000); make it at least 2000")]
    public void Retry_and_timeout_must_be_sane(string settings, string error)
    {
        Assert.Equal([error], Errors(OneStep($$"""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}, {{settings}}}""")));
    }

    [Fact]
    public void Variable_names_must_be_referable()
    {
        Assert.Equal(
            ["variables[\"my topic\"]: \"my topic\" is not a valid variable name; use 1 to 64 letters, digits or '_', so that {{name}} can refer to it"],
            Errors(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}}""", """{"my topic": "t"}""")));
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var errors = Validator.Validate(Read("""
            {"workflow_id": "Bad Id", "steps": [
              {"step_id": "a", "step_type": "opnai", "action": "x"},
              {"step_id": "a", "step_type": "github", "action": "create_issue", "parameters": {"titel": "{{nope}}"}, "timeout_seconds": 0}]}
            """));

        Assert.Equal(
        [
            "workflow_id", "steps[0].step_type", "steps[1].step_id", "steps[1].parameters.repo", "steps[1].parameters.title",
            "steps[1].parameters.titel", "steps[1].parameters.titel", "steps[1].timeout_seconds",
        ], errors.Select(e => e.Path));
    }

    [Fact]
    public void Inputs_within_the_limits_are_accepted()
    {
        var inputs = new Dictionary<string, JsonNode?>
        {
            ["topic"] = "SOPs",
            ["n"] = 3,
            ["items"] = new JsonArray(1, 2),
            ["nothing"] = null,
            ["exactly_limit"] = new string('x', WorkflowLimits.MaxVariableValueBytes),
        };

        Assert.Empty(CheckDeclared(inputs));
    }

    [Fact]
    public void A_five_megabyte_input_is_refused_naming_the_limit()
    {
        var inputs = new Dictionary<string, JsonNode?> { ["document"] = new string('x', 5 * 1024 * 1024) };

        Assert.Equal(
            ["variables.document: the value is 5.0 MiB, over the limit of 1.0 MiB per input; pass large content by reference, e.g. a URL the workflow fetches with an http step"],
            CheckDeclared(inputs).Select(e => e.ToString()));
    }

    [Fact]
    public void A_large_structured_input_is_measured_as_json()
    {
        var items = new JsonArray();
        for (var i = 0; i < 120_000; i++)
        {
            items.Add("0123456789");
        }

        var error = Assert.Single(CheckDeclared(new Dictionary<string, JsonNode?> { ["items"] = items }));

        Assert.Equal("variables.items", error.Path);
        Assert.Contains("over the limit of 1.0 MiB per input;", error.Message);
    }

    [Fact]
    public void Input_names_must_be_referable()
    {
        var errors = CheckDeclared(new Dictionary<string, JsonNode?> { ["{{x}}"] = "a", [""] = "b", ["ok_name"] = "c" });

        Assert.Equal(
        [
            "variables[\"{{x}}\"]: \"{{x}}\" is not a valid input name; use 1 to 64 letters, digits or '_', so that {{name}} can refer to it",
            "variables[\"\"]: \"\" is not a valid input name; use 1 to 64 letters, digits or '_', so that {{name}} can refer to it",
        ], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Too_many_inputs_is_an_error_naming_the_limit()
    {
        var inputs = Enumerable.Range(0, 101).ToDictionary(i => $"v{i}", i => (JsonNode?)i);

        Assert.Equal(
            ["variables: 101 inputs given, over the limit of 100; pass related values together as one object"],
            CheckDeclared(inputs).Select(e => e.ToString()));
    }

    [Fact]
    public void A_deeply_nested_input_is_refused_naming_the_limit()
    {
        JsonNode deep = new JsonArray();
        for (var i = 0; i < 70; i++)
        {
            deep = new JsonArray(deep);
        }

        Assert.Equal(
            ["variables.deep: the value nests objects and arrays deeper than 64 levels; flatten it"],
            CheckDeclared(new Dictionary<string, JsonNode?> { ["deep"] = deep }).Select(e => e.ToString()));
    }

    [Fact]
    public void Nesting_exactly_at_the_depth_limit_is_accepted()
    {
        JsonNode deep = new JsonArray();
        for (var i = 1; i < WorkflowLimits.MaxDepth; i++)
        {
            deep = new JsonArray(deep);
        }

        Assert.Empty(CheckDeclared(new Dictionary<string, JsonNode?> { ["deep"] = deep }));
    }

    [Fact]
    public void Inputs_the_workflow_does_not_declare_are_refused_with_a_suggestion()
    {
        var workflow = Read(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{email_query}}"}}""", """{"email_query": "", "limit": 5}"""));
        var inputs = new Dictionary<string, JsonNode?> { ["emial_query"] = "is:unread", ["limit"] = 3, ["colour"] = "red" };

        Assert.Equal(
        [
            "variables.emial_query: workflow 'w' has no variable \"emial_query\" (did you mean 'email_query'?); its variables are: email_query, limit",
            "variables.colour: workflow 'w' has no variable \"colour\"; its variables are: email_query, limit",
        ], WorkflowValidator.ValidateInputs(workflow, inputs).Select(e => e.ToString()));
    }

    [Fact]
    public void Declared_inputs_within_the_limits_are_accepted_for_a_workflow()
    {
        var workflow = Read(OneStep("""{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{topic}}"}}""", """{"topic": ""}"""));

        Assert.Empty(WorkflowValidator.ValidateInputs(workflow, new Dictionary<string, JsonNode?> { ["topic"] = "SOPs" }));
        Assert.Contains("over the limit of 1.0 MiB per input;", Assert.Single(WorkflowValidator.ValidateInputs(
            workflow, new Dictionary<string, JsonNode?> { ["topic"] = new string('x', 2 * 1024 * 1024) })).Message);
    }
}

public class ReaderAndValidatorErrorsTests
{
    private static readonly WorkflowValidator Validator = new(FakeSteps.Catalog);

    [Fact]
    public void One_unknown_field_does_not_hide_the_other_errors()
    {
        var parsed = WorkflowJson.Parse("""
            {"workflow_id": "Bad Id", "colour": "red", "steps": [
              {"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{unclosed"}},
              {"step_id": "b", "step_type": "no_such_type", "action": "render", "parameters": {}},
              {"step_id": "c", "step_type": "template", "action": "render", "parameters": {"text": "{{nope}}"}}]}
            """);

        var errors = Validator.Validate(parsed);

        Assert.False(parsed.Succeeded);
        var paths = errors.Select(e => e.Path).ToList();
        Assert.Equal("colour", paths[0]);
        Assert.Contains("workflow_id", paths);
        Assert.Contains("steps[0].parameters.text", paths);
        Assert.Contains("steps[1].step_type", paths);
        Assert.Contains(errors, e => e.Path == "steps[2].parameters.text" && e.Message.Contains("'nope'", StringComparison.Ordinal));
        Assert.Equal(errors.Count, errors.Distinct().Count());
    }

    [Fact]
    public void A_step_that_cannot_be_read_keeps_its_place_and_is_reported_once()
    {
        var parsed = WorkflowJson.Parse("""
            {"workflow_id": "w", "steps": [
              "not a step",
              {"step_id": "b", "action": "render"},
              {"step_id": "c", "step_type": "template", "action": "render", "parameters": {"text": "{{missing}}"}, "timeout_seconds": "soon"}]}
            """);

        var errors = Validator.Validate(parsed).Select(e => e.ToString()).ToList();

        Assert.False(parsed.Succeeded);
        Assert.Equal(3, parsed.Workflow!.Steps.Count);
        Assert.Single(errors, e => e.StartsWith("steps[0]", StringComparison.Ordinal));
        Assert.Single(errors, e => e.StartsWith("steps[1].step_type:", StringComparison.Ordinal));
        Assert.Single(errors, e => e.StartsWith("steps[2].timeout_seconds:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("steps[2].parameters.text:", StringComparison.Ordinal) && e.Contains("'missing'", StringComparison.Ordinal));
    }

    [Fact]
    public void Malformed_json_gives_only_its_own_error()
    {
        var parsed = WorkflowJson.Parse("""{"workflow_id": "w", """);

        Assert.Null(parsed.Workflow);
        Assert.Single(Validator.Validate(parsed));
    }
}

public class OutputSchemaValidationTests
{
    private static readonly WorkflowValidator Validator = new(FakeSteps.Catalog);

    private static IReadOnlyList<string> Errors(string schema)
    {
        var result = WorkflowJson.Parse($$$"""
            {"workflow_id": "w", "steps": [{"step_id": "triage", "step_type": "openai", "action": "generate_completion",
              "parameters": {"prompt": "Is this important?", "output_schema": {{{schema}}}}}]}
            """);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return Validator.Validate(result.Workflow!).Select(e => e.ToString()).ToList();
    }

    [Fact]
    public void A_valid_json_schema_is_accepted()
    {
        Assert.Empty(Errors("""
            {"type": "object", "properties": {"important": {"type": "boolean"}, "reason": {"type": "string"}},
             "required": ["important", "reason"], "additionalProperties": false}
            """));
    }

    [Fact]
    public void An_invalid_json_schema_is_an_error_at_the_path_of_the_mistake()
    {
        var errors = Errors("""{"type": "object", "properties": {"important": {"type": "boolen"}}, "required": "important"}""");

        Assert.Equal(
            [
                "steps[0].parameters.output_schema.properties.important.type: not a valid JSON Schema: a type must be one of string, number, integer, boolean, object, array, null (or a list of them)",
                "steps[0].parameters.output_schema.required: not a valid JSON Schema: Value is \"string\" but should be \"array\"",
            ],
            errors.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_schema_that_is_not_an_object_is_an_error()
    {
        var error = Assert.Single(Errors("\"boolean\""));

        Assert.StartsWith("steps[0].parameters.output_schema: expected a JSON Schema object", error);
    }
}

public class OutputSchemaTests
{
    [Fact]
    public void A_schema_with_an_id_can_be_checked_and_used_by_many_steps()
    {
        var schema = JsonNode.Parse("""{"$id": "https://example.com/triage", "type": "object", "required": ["ok"]}""");

        for (var i = 0; i < 3; i++)
        {
            Assert.Empty(AiOrchestra.Engine.Steps.Ai.OutputSchema.Problems(schema));
            var output = AiOrchestra.Engine.Steps.Ai.OutputSchema.From(schema, "output_schema").Read("""{"ok": 1}""");
            Assert.Equal(1, (int)output!["ok"]!);
        }
    }
}

public class McpSectionTests
{
    private const string Exposed = """
        {
          "workflow_id": "triage",
          "steps": [
            {
              "step_id": "a",
              "step_type": "template",
              "action": "render",
              "parameters": {
                "text": "x"
              }
            }
          ],
          "mcp": {
            "expose": true,
            "tool_name": "triage_email"
          }
        }
        """;

    [Fact]
    public void The_mcp_section_reads_and_writes_back_unchanged()
    {
        var result = WorkflowJson.Parse(Exposed);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.True(result.Workflow!.Mcp!.Expose);
        Assert.Equal("triage_email", result.Workflow.Mcp.ToolName);
        Assert.Equal(Exposed.ReplaceLineEndings("\n"), WorkflowJson.Serialize(result.Workflow).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_bad_mcp_section_is_an_error_at_its_path()
    {
        var wrongType = WorkflowJson.Parse("""{"workflow_id": "w", "steps": [], "mcp": {"expose": "yes", "tol_name": "x"}}""");
        var badName = WorkflowJson.Parse("""{"workflow_id": "w", "steps": [{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "x"}}], "mcp": {"expose": true, "tool_name": "triage email"}}""");

        Assert.Contains(wrongType.Errors, e => e.Path == "mcp.expose" && e.Message.StartsWith("expected true or false", StringComparison.Ordinal));
        Assert.Contains(wrongType.Errors, e => e.Path == "mcp.tol_name" && e.Message.Contains("did you mean 'tool_name'?", StringComparison.Ordinal));
        var error = Assert.Single(new WorkflowValidator(FakeSteps.Catalog).Validate(badName.Workflow!));
        Assert.Equal("mcp.tool_name", error.Path);
    }
}
