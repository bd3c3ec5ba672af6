namespace AiOrchestra.Web.Logging;

/// <summary>The <c>RequestLogs</c> section: one log line per HTTP request through ASP.NET Core's HTTP logging, off by default.</summary>
public sealed class RequestLogOptions
{
    public const string Section = "RequestLogs";

    public bool Enabled { get; set; }

    /// <summary>Request headers logged besides the framework's harmless defaults (Accept, Host, User-Agent…); secret ones are never logged.</summary>
    public string[] RequestHeaders { get; set; } = [];

    /// <summary>Response headers logged besides the defaults (Content-Type…); secret ones are never logged.</summary>
    public string[] ResponseHeaders { get; set; } = [];
}
