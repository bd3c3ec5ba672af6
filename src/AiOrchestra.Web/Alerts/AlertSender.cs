using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using MimeKit;

namespace AiOrchestra.Web.Alerts;

/// <summary>Sends one alert through its channel within <c>Alerts:TimeoutSeconds</c>; returns what went wrong, or null.</summary>
public sealed class AlertSender(IHttpClientFactory clients, IDataProtectionProvider protection, IOptions<AlertOptions> options)
{
    public const string HttpClientName = "alerts";

    private readonly IDataProtector _protector = protection.CreateProtector("AiOrchestra.Alerts.Target");

    public string Protect(string target) => _protector.Protect(target);

    public string Unprotect(string protectedTarget) => _protector.Unprotect(protectedTarget);

    public async Task<string?> SendAsync(AlertChannel channel, AlertEvent alert, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        var target = Unprotect(channel.ProtectedTarget);
        try
        {
            return channel.Kind == AlertChannelKinds.Email
                ? await SendMailAsync(target, alert, settings, deadline.Token)
                : await PostAsync(channel.Kind, target, alert, settings, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {settings.TimeoutSeconds} s (Alerts__TimeoutSeconds)";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or SmtpCommandException
                                      or SmtpProtocolException or AuthenticationException or Engine.Outbound.OutboundRefusedException)
        {
            return e.Message;
        }
    }

    private async Task<string?> PostAsync(string kind, string url, AlertEvent alert, AlertOptions settings, CancellationToken cancellationToken)
    {
        var link = Link(alert, settings);
        JsonObject body = kind == AlertChannelKinds.Slack
            ? new JsonObject { ["text"] = $"*{alert.Title}*\n{alert.Message}" + (link is null ? "" : $"\n<{link}|Open the run>") }
            : new JsonObject
            {
                ["event"] = alert.Kind, ["title"] = alert.Title, ["message"] = alert.Message, ["workflow_id"] = alert.WorkflowId,
                ["run_id"] = alert.RunId, ["url"] = link, ["at"] = alert.CreatedAt.ToString("o"),
            };
        using var response = await clients.CreateClient(HttpClientName).PostAsJsonAsync(url, body, cancellationToken);
        return response.IsSuccessStatusCode ? null : $"the webhook answered {(int)response.StatusCode} {response.ReasonPhrase}";
    }

    private static async Task<string?> SendMailAsync(string recipients, AlertEvent alert, AlertOptions settings, CancellationToken cancellationToken)
    {
        var smtp = settings.Smtp;
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            return "no SMTP server is configured: set Alerts__Smtp__Host (and Port, From, UserName, Password as your server needs)";
        }
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(smtp.From));
        foreach (var address in recipients.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            message.To.Add(MailboxAddress.Parse(address));
        }
        message.Subject = "[AI Orchestra] " + alert.Title;
        var link = Link(alert, settings);
        message.Body = new TextPart("plain") { Text = alert.Message + (link is null ? "" : "\n\n" + link) + "\n" };

        using var client = new SmtpClient();
        var security = smtp.Security.ToLowerInvariant() switch
        {
            "none" => SecureSocketOptions.None,
            "starttls" => SecureSocketOptions.StartTls,
            "ssl" => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.Auto,
        };
        await client.ConnectAsync(smtp.Host, smtp.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.UserName))
        {
            await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
        }
        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
        return null;
    }

    private static string? Link(AlertEvent alert, AlertOptions settings) =>
        alert.RunId is null ? null : $"{settings.BaseUrl?.TrimEnd('/')}/Logs/{alert.RunId}";
}
