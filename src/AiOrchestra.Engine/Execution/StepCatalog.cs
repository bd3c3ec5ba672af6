namespace AiOrchestra.Engine.Execution;

/// <summary>The step types this installation knows, by name. Adding a step type is one registration.</summary>
public sealed class StepCatalog
{
    private readonly Dictionary<string, IStepType> _types;

    public StepCatalog(IEnumerable<IStepType> types)
    {
        _types = types.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<IStepType> Types => _types.Values;

    public IStepType? Find(string stepType) => _types.GetValueOrDefault(stepType);

    public StepAction? FindAction(string stepType, string action) =>
        Find(stepType)?.Actions.FirstOrDefault(a => a.Name == action);
}
