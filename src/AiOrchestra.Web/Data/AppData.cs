namespace AiOrchestra.Web.Data;

/// <summary>
/// The folder the app writes at run time besides its database: the API's generated signing key, the Data
/// Protection keys and the stored integration secrets. <c>DataFolder</c> moves it (tests and the bench keep it in a
/// temporary folder); by default it is <c>data/</c> under the content root.
/// </summary>
public static class AppData
{
    public static string Folder(IConfiguration configuration, IHostEnvironment environment) =>
        Path.GetFullPath(configuration["DataFolder"] is { Length: > 0 } folder ? folder : "data", environment.ContentRootPath);
}
