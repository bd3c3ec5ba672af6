namespace AiOrchestra.Engine.Execution;

/// <summary>Runs a workflow's steps in order, binding each output as <c>&lt;step_id&gt;_output</c>.</summary>
public sealed class WorkflowExecutor(StepCatalog catalog, TimeProvider timeProvider)
{
    internal StepCatalog Catalog { get; } = catalog;
    internal TimeProvider Time { get; } = timeProvider;

    public Task<WorkflowResult> ExecuteAsync(RunRequest request, IRunJournal journal, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
