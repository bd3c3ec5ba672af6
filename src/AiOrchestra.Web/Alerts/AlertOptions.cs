using System.ComponentModel.DataAnnotations;

namespace AiOrchestra.Web.Alerts;

/// <summary>The <c>Alerts</c> section: delivery limits, retries, and the SMTP server e-mail channels send through.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    [Range(1, 1000, ErrorMessage = "Alerts:MaxPerChannelPerMinute must be from 1 to 1000 (alerts one channel gets per minute; more are recorded as suppressed).")]
    public int MaxPerChannelPerMinute { get; set; } = 10;

    [Range(1, 20, ErrorMessage = "Alerts:MaxAttempts must be from 1 to 20 (tries to deliver one alert before it is recorded as failed).")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; each further one doubles it.</summary>
    [Range(0, 3600, ErrorMessage = "Alerts:RetrySeconds must be from 0 to 3600 (the first retry's delay; each further retry waits twice as long).")]
    public int RetrySeconds { get; set; } = 30;

    [Range(1, 120, ErrorMessage = "Alerts:TimeoutSeconds must be from 1 to 120 (how long one delivery may take).")]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>How often the queue-age rules look at the queue.</summary>
    [Range(1, 3600, ErrorMessage = "Alerts:CheckSeconds must be from 1 to 3600 (how often the oldest queued run is checked).")]
    public int CheckSeconds { get; set; } = 30;

    /// <summary>The dashboard's public address, for links in alerts (<c>https://orchestra.example</c>); relative links without it.</summary>
    public string? BaseUrl { get; set; }

    public SmtpOptions Smtp { get; set; } = new();
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 587;

    /// <summary><c>auto</c> (TLS when offered), <c>starttls</c>, <c>ssl</c> or <c>none</c>.</summary>
    public string Security { get; set; } = "auto";

    public string? UserName { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "AI Orchestra <alerts@localhost>";
}
