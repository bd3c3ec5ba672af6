namespace AiOrchestra.Engine.Execution;

/// <summary>The step types this installation knows, by name. Adding a step type is one registration.</summary>
public sealed class StepCatalog
{
    private readonly Dictionary<string, IStepType> _types;

    public StepCatalog(IEnumerable<IStepType> types)
    {
        _types = new Dictionary<string, IStepType>(StringComparer.Ordinal);
        var refused = new List<(IStepType, string)>();
        foreach (var type in types)
        {
            // the first registration of a name wins (built-in types are registered before connectors); a later one is
            // reported, not allowed to replace it or to stop the app
            if (!_types.TryAdd(type.Name, type))
            {
                refused.Add((type, $"the step type \"{type.Name}\" already exists ({_types[type.Name].Description}); this one was not loaded"));
            }
        }
        Refused = refused;
    }

    public IReadOnlyCollection<IStepType> Types => _types.Values;

    /// <summary>Step types not registered because their name was taken, with the reason.</summary>
    public IReadOnlyList<(IStepType Type, string Reason)> Refused { get; }

    public IStepType? Find(string stepType) => _types.GetValueOrDefault(stepType);

    public StepAction? FindAction(string stepType, string action) =>
        Find(stepType)?.Actions.FirstOrDefault(a => a.Name == action);
}
