using AiOrchestra.Engine.Prompts;

namespace AiOrchestra.Engine.Tests.Prompts;

public sealed class PromptFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("aiorchestra-prompts-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Finds_a_prompt_by_template_id_or_by_the_short_id_spelling()
    {
        Write("sop.json", """
            {"template_id": "sop_writer", "name": "SOP writer", "description": "Writes an SOP",
             "template": "Write an SOP about {{topic}}.", "variables": ["topic"]}
            """);
        Write("short.json", """{"id": "short_one", "template": "Hi {{name}}"}""");
        var library = new PromptFolder(_folder);

        var sop = await library.FindAsync("anyone", "sop_writer", CancellationToken.None);
        var shortOne = await library.FindAsync("anyone", "short_one", CancellationToken.None);

        Assert.NotNull(sop);
        Assert.Equal("SOP writer", sop.Name);
        Assert.Equal("Writes an SOP", sop.Description);
        Assert.Equal(["topic"], sop.Variables);
        Assert.Equal("Hi {{name}}", shortOne?.Template);
        Assert.Equal("short_one", shortOne?.Name);
    }

    [Fact]
    public async Task An_unknown_id_or_a_missing_folder_finds_nothing()
    {
        Write("a.json", """{"template_id": "a", "template": "A"}""");

        Assert.Null(await new PromptFolder(_folder).FindAsync("u", "b", CancellationToken.None));
        Assert.Null(await new PromptFolder(Path.Combine(_folder, "absent")).FindAsync("u", "a", CancellationToken.None));
    }

    [Fact]
    public async Task A_broken_file_is_reported_with_its_name()
    {
        Write("broken.json", """{"template_id": "x", "template": """);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new PromptFolder(_folder).FindAsync("u", "x", CancellationToken.None));

        Assert.Contains("'broken.json' is not valid JSON", error.Message);
    }

    private void Write(string name, string json) => File.WriteAllText(Path.Combine(_folder, name), json);
}
