using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Ledger;

public static class LedgerExtensions
{
    /// <summary>The LLM ledger's price table (<c>Pricing:Models</c>), checked at start-up.</summary>
    public static WebApplicationBuilder AddLedger(this WebApplicationBuilder builder)
    {
        // checked while building, as the other settings to fix are: one line on the console, nothing started
        var table = builder.Configuration.GetSection(PricingOptions.Section).Get<PricingOptions>() ?? new PricingOptions();
        if (new PricingOptionsValidation().Validate(null, table) is { Failed: true } refused)
        {
            throw new Hosting.StartupProblem(refused.FailureMessage);
        }
        builder.Services.AddOptions<PricingOptions>().BindConfiguration(PricingOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PricingOptions>, PricingOptionsValidation>();
        builder.Services.AddSingleton<LlmPrices>();
        return builder;
    }
}
