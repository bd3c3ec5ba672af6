namespace AiOrchestra.Web.Hosting;

/// <summary>A reason the server cannot start that the person starting it can fix; the message is one line saying how.</summary>
public sealed class StartupProblem(string message, Exception? inner = null) : Exception(message, inner);
