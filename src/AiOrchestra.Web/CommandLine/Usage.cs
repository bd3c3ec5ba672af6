namespace AiOrchestra.Web.CommandLine;

/// <summary><c>--help</c>: the executable's commands and its main settings.</summary>
public static class Usage
{
    public const string Text = """
        AI Orchestra: a self-hosted workflow orchestrator.

        usage:
          AiOrchestra.Web [--urls URL] [--Key value]...   start the server: the dashboard and the JSON API under /api
          AiOrchestra.Web validate FILE                  check a workflow file, print every error
          AiOrchestra.Web run FILE [--var name=value]... run a workflow in-process, print the result JSON
          AiOrchestra.Web backup FILE                    copy the database to a new FILE, safe while the app runs
          AiOrchestra.Web import DIR [--user NAME]       import an AI-Orchestra (Python) data folder (workflows/,
                                                         prompts/, logs/) into an account (default: the administrator)
          AiOrchestra.Web --help                         this text

        From the repository, put the app's arguments after "--":
          dotnet run --project src/AiOrchestra.Web -- --urls http://localhost:5080

        main settings (each as --Key value, or as an environment variable with "__" for ":"):
          --urls, ASPNETCORE_URLS                  where the server listens (default http://localhost:5000)
          ConnectionStrings:Default                the SQLite database (default Data Source=data/aiorchestra.db)
          DataFolder                               signing key, Data Protection keys and stored secrets (default data)
          Admin:UserName, Admin:Password           create this administrator at start-up when there is no user
                                                   (otherwise the first visit to the dashboard creates it)
          DataProtection:CertificatePath,          a .pfx certificate that encrypts the Data Protection keys at rest
          DataProtection:CertificatePassword
          OpenAI:ApiKey, GitHub:Token, Notion:Token, Gmail:ClientId ...   integration credentials
          Logging:LogLevel:Default                 log level (default Information)

        Every setting, with its default, is in the README's Configuration table.
        """;

    public static bool IsHelp(string[] args) => args.Any(arg => arg is "--help" or "-h" or "-?");
}
