using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Approval;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Steps.Wait;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Workflows;

/// <summary>approval and wait steps as written in a workflow: limits and formats reported at the parameter's path.</summary>
public sealed class WaitingStepValidationTests
{
    private static readonly WorkflowValidator Validator = new(new StepCatalog([new TemplateStep(), new ApprovalStep(), new WaitStep()]));

    private static IReadOnlyList<string> Errors(string steps) =>
        Validator.Validate(WorkflowJson.Parse($$$"""{"workflow_id": "w", "steps": [{{{steps}}}], "variables": {"list": [], "when": ""}}"""))
            .Select(e => e.ToString()).ToList();

    [Fact]
    public void Approval_and_wait_steps_within_the_limits_validate()
    {
        Assert.Empty(Errors("""
            {"step_id": "review", "step_type": "approval", "action": "request", "parameters": {"message": "ok?", "timeout_hours": 24}},
            {"step_id": "pause", "step_type": "wait", "action": "for", "parameters": {"seconds": 3600}},
            {"step_id": "later", "step_type": "wait", "action": "until", "parameters": {"time": "2026-12-01T09:00:00+01:00"}},
            {"step_id": "rendered", "step_type": "wait", "action": "until", "parameters": {"time": "{{when}}"}}
            """));
    }

    [Fact]
    public void Waits_past_the_limit_a_time_without_offset_a_missing_message_and_a_loop_are_errors_at_their_paths()
    {
        Assert.Equal(
        [
            "steps[0].parameters.message: required parameter 'message' of approval.request is missing (What the person is asked to approve, shown on the run's page, e.g. \"Publish the summary of {{topic}}?\")",
            "steps[0].parameters.timeout_hours: must be more than 0 and at most 720 hours (30 days, setting Runs__MaxWaitDays), got 1000",
            "steps[1].parameters.seconds: must be between 0 and 2592000 seconds (30 days, setting Runs__MaxWaitDays), got 3000000",
            "steps[2].parameters.time: is '2026-12-01 09:00', not an ISO 8601 date and time with an offset; write e.g. \"2026-12-01T09:00:00Z\"",
            "steps[3].for_each: an approval step pauses the whole run, so it cannot loop over items; put it before or after the loop",
        ], Errors("""
            {"step_id": "review", "step_type": "approval", "action": "request", "parameters": {"timeout_hours": 1000}},
            {"step_id": "pause", "step_type": "wait", "action": "for", "parameters": {"seconds": 3000000}},
            {"step_id": "later", "step_type": "wait", "action": "until", "parameters": {"time": "2026-12-01 09:00"}},
            {"step_id": "each", "step_type": "approval", "action": "request", "parameters": {"message": "{{item}}?"}, "for_each": "{{list}}"}
            """));
    }

    [Fact]
    public void The_limit_follows_the_configured_longest_wait()
    {
        var validator = new WorkflowValidator(new StepCatalog([new WaitStep(TimeSpan.FromDays(1))]));
        var errors = validator.Validate(WorkflowJson.Parse("""
            {"workflow_id": "w", "steps": [{"step_id": "pause", "step_type": "wait", "action": "for", "parameters": {"seconds": 90000}}]}
            """));
        Assert.Equal("steps[0].parameters.seconds: must be between 0 and 86400 seconds (1 days, setting Runs__MaxWaitDays), got 90000", Assert.Single(errors).ToString());
    }
}
