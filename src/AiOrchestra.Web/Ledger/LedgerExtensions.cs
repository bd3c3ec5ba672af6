using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Ledger;

public static class LedgerExtensions
{
    /// <summary>The LLM ledger's price table (<c>Pricing:Models</c>), checked at start-up.</summary>
    public static WebApplicationBuilder AddLedger(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PricingOptions>().BindConfiguration(PricingOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PricingOptions>, PricingOptionsValidation>();
        builder.Services.AddSingleton<LlmPrices>();
        return builder;
    }
}
