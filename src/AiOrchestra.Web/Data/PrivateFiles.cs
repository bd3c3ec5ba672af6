namespace AiOrchestra.Web.Data;

/// <summary>
/// The data folder holds the database, the signing key, the Data Protection keys and the encrypted secrets: on
/// Linux and macOS its folders are made 0700 and its files 0600, so no other account on the machine can read them.
/// </summary>
public static class PrivateFiles
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="folder"/> readable by its owner only, or makes an existing one so.</summary>
    public static DirectoryInfo Folder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(folder);
        }
        var info = Directory.CreateDirectory(folder, OwnerOnlyFolder);
        // an existing folder (an older install, or data/ of the repository) is closed as well
        if ((info.UnixFileMode & ~OwnerOnlyFolder) != 0)
        {
            info.UnixFileMode = OwnerOnlyFolder;
        }
        return info;
    }

    /// <summary>Writes <paramref name="text"/> to a new file (or replaces one) that only its owner can read.</summary>
    public static void WriteAllText(string file, string text)
    {
        using var stream = Create(file, FileMode.Create);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <summary>
    /// Creates the empty SQLite file before SQLite does, so it is the owner's only; SQLite gives its <c>-wal</c> and
    /// <c>-shm</c> files the database file's permissions.
    /// </summary>
    public static void CreateDatabase(string file)
    {
        if (!File.Exists(file))
        {
            try
            {
                Create(file, FileMode.CreateNew).Dispose();
            }
            catch (IOException) when (File.Exists(file))
            {
                // created at the same moment by another process: theirs is as good
            }
        }
    }

    private static FileStream Create(string file, FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }
        var stream = new FileStream(file, options);
        // FileMode.Create on an existing file keeps its old permissions
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(stream.SafeFileHandle) & ~OwnerOnlyFile) != 0)
        {
            File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnlyFile);
        }
        return stream;
    }
}
