using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Engine.Workflows;

/// <summary>Checks a workflow against the step catalog and the rules of the format; reports every error at once.</summary>
public sealed class WorkflowValidator(StepCatalog catalog)
{
    internal StepCatalog Catalog { get; } = catalog;

    public IReadOnlyList<ValidationError> Validate(Workflow workflow) => throw new NotImplementedException();
}
