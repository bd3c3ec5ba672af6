namespace AiOrchestra.Engine.Templating;

/// <summary>A template that cannot be parsed or rendered; the message says what to fix.</summary>
public sealed class TemplateException(string message) : Exception(message);
