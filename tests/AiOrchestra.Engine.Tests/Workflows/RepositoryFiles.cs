namespace AiOrchestra.Engine.Tests.Workflows;

/// <summary>Finds files committed in the repository, such as the examples, from the test's output folder.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AiOrchestra.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"AiOrchestra.sln not found above {AppContext.BaseDirectory}");
    }
}
