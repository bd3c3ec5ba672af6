namespace AiOrchestra.Engine.Expressions;

/// <summary>
/// A condition that does not parse (<see cref="Position"/> is where, counted from 0) or cannot be evaluated on the
/// run's values (<see cref="Position"/> is -1); the message says what to change.
/// </summary>
public sealed class ConditionException(string message, int position = -1) : Exception(message)
{
    public int Position { get; } = position;
}
