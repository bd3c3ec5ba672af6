namespace AiOrchestra.Engine.Templating;

/// <summary>A template that cannot be parsed or rendered; the message says what to fix.</summary>
public class TemplateException(string message) : Exception(message);

/// <summary>Rendering stopped because the text grew past its <see cref="RenderBudget"/>.</summary>
public sealed class TemplateLimitException(string message) : TemplateException(message);
