namespace AiOrchestra.Engine.Steps.Connectors;

/// <summary>The connectors read from the connectors folder at start-up, and why any file there was not loaded.</summary>
public sealed record ConnectorSet(string Folder, IReadOnlyList<Connector> Connectors, IReadOnlyList<string> Problems)
{
    /// <summary>At most this many connector files are read: a folder of descriptions, not of data.</summary>
    public const int MaxFiles = 200;

    /// <summary>Reads every <c>*.json</c> file of <paramref name="folder"/> (none when it does not exist), in name order.</summary>
    public static ConnectorSet Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return new ConnectorSet(folder, [], []);
        }
        var connectors = new List<Connector>();
        var problems = new List<string>();
        var files = Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).ToList();
        if (files.Count > MaxFiles)
        {
            problems.Add($"{folder} holds {files.Count} connector files; only the first {MaxFiles} are read");
        }
        foreach (var file in files.Take(MaxFiles))
        {
            var length = new FileInfo(file).Length;
            var (connector, errors) = length > ConnectorFile.MaxBytes
                ? (null, [$"{Path.GetFileName(file)}: (file): is {length} bytes, over the limit of {ConnectorFile.MaxBytes}"])
                : ConnectorFile.Read(file, File.ReadAllText(file));
            problems.AddRange(errors);
            if (connector is null)
            {
                continue;
            }
            if (connectors.FirstOrDefault(c => c.Name == connector.Name) is { } first)
            {
                problems.Add($"{Path.GetFileName(file)}: connector: \"{connector.Name}\" is already the connector of {Path.GetFileName(first.File)}; rename one of them");
                continue;
            }
            connectors.Add(connector);
        }
        return new ConnectorSet(folder, connectors, problems);
    }
}
