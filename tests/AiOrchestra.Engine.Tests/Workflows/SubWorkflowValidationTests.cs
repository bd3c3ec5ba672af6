using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Workflows;

/// <summary>Sub-workflow rules at validation: a workflow naming itself, and chains through stored workflows.</summary>
public sealed class SubWorkflowValidationTests
{
    private static readonly WorkflowValidator Validator = new(new StepCatalog(
    [
        .. FakeSteps.Catalog.Types,
        FakeSteps.Type("workflow", FakeSteps.Action("run", FakeSteps.Required("workflow_id"), FakeSteps.Optional("variables", ParameterType.Object))),
    ]));

    [Fact]
    public void A_workflow_that_runs_itself_directly_is_refused_at_the_workflow_id()
    {
        var errors = Validator.Validate(Workflow("loop", "loop")).Select(e => e.ToString());

        Assert.Contains("steps[0].parameters.workflow_id: workflow 'loop' would run itself as its own sub-workflow, again and again; name another workflow", errors);
    }

    [Fact]
    public void A_chain_through_stored_workflows_that_comes_back_is_reported_with_the_chain()
    {
        var stored = Stored(Workflow("b", "c"), Workflow("c", "a"));

        var errors = SubWorkflows.ChainProblems(Workflow("a", "b"), stored, maxDepth: 5).Select(e => e.ToString());

        Assert.Equal(["steps[0].parameters.workflow_id: 'c' runs 'a' again (a → b → c → a): a workflow cannot run itself, directly or through others"], errors);
    }

    [Fact]
    public void An_unknown_workflow_is_reported_with_what_to_do()
    {
        var errors = SubWorkflows.ChainProblems(Workflow("a", "missing"), Stored(), maxDepth: 5).Select(e => e.ToString());

        Assert.Equal(["steps[0].parameters.workflow_id: there is no workflow 'missing' among yours; save it first, or check the id"], errors);
    }

    [Fact]
    public void A_chain_deeper_than_the_limit_is_reported_with_the_limit_and_its_setting()
    {
        var stored = Stored(Workflow("b", "c"), Workflow("c", "d"), Workflow("d", null));

        Assert.Empty(SubWorkflows.ChainProblems(Workflow("a", "b"), stored, maxDepth: 3));
        var errors = SubWorkflows.ChainProblems(Workflow("a", "b"), stored, maxDepth: 2).Select(e => e.ToString());

        Assert.Equal(["steps[0].parameters.workflow_id: it starts a chain of sub-workflows 3 deep (a → b → c → d), over the limit of 2 (Runs__MaxWorkflowDepth)"], errors);
    }

    [Fact]
    public void A_workflow_id_rendered_from_a_variable_is_left_to_the_run()
    {
        var workflow = Workflow("a", "{{target}}") with { Variables = new Dictionary<string, JsonNode?> { ["target"] = "a" } };

        Assert.Empty(Validator.Validate(workflow));
        Assert.Empty(SubWorkflows.ChainProblems(workflow, Stored(), maxDepth: 5));
    }

    private static Dictionary<string, Workflow> Stored(params Workflow[] workflows) => workflows.ToDictionary(w => w.WorkflowId);

    private static Workflow Workflow(string id, string? runs) => new()
    {
        WorkflowId = id,
        Steps = runs is null
            ? [new WorkflowStep { StepId = "end", StepType = "template", Action = "render", Parameters = new JsonObject { ["text"] = "done" } }]
            : [new WorkflowStep { StepId = "sub", StepType = "workflow", Action = "run", Parameters = new JsonObject { ["workflow_id"] = runs } }],
    };
}
