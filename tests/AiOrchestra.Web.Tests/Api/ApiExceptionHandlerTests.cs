using AiOrchestra.Web.Api;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Api;

public class ApiExceptionHandlerTests
{
    [Theory]
    [InlineData(13, "the disk is full")]
    [InlineData(5, "held it locked for too long")]
    [InlineData(6, "held it locked for too long")]
    [InlineData(10, "cannot write to the disk")]
    public void A_full_disk_a_lock_held_too_long_or_a_disk_error_is_503_saying_so(int sqliteError, string reason)
    {
        // as EF Core reports a failed save: the SQLite error inside its own exception
        var error = new Microsoft.EntityFrameworkCore.DbUpdateException("An error occurred while saving.",
            new Microsoft.Data.Sqlite.SqliteException("SQLite Error", sqliteError));

        var problem = ApiExceptionHandler.Describe(error);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.Status);
        Assert.Contains(reason, problem.Detail);
        Assert.Contains("Nothing was saved", problem.Detail);
    }

    [Fact]
    public void An_unexpected_error_is_a_generic_500_naming_nothing_inside()
    {
        var error = new InvalidOperationException("Data Source=/srv/secret.db; Password=hunter2");

        var problem = ApiExceptionHandler.Describe(error);

        Assert.Equal(StatusCodes.Status500InternalServerError, problem.Status);
        Assert.DoesNotContain("hunter2", problem.Detail);
        Assert.DoesNotContain("InvalidOperationException", problem.Detail);
        Assert.Empty(problem.Extensions);
    }

    [Fact]
    public void A_bad_request_keeps_its_status()
    {
        var problem = ApiExceptionHandler.Describe(new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge));

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, problem.Status);
        Assert.Contains("1024 KiB", problem.Detail);
    }

    [Fact]
    public void A_binding_failure_names_the_parameter_and_value_but_no_type()
    {
        var problem = ApiExceptionHandler.Describe(new BadHttpRequestException("Failed to bind parameter \"Nullable<int> limit\" from \"abc\"."));

        Assert.Equal(StatusCodes.Status400BadRequest, problem.Status);
        Assert.Equal("limit: 'abc' is not a valid value; check its format.", problem.Detail);
        Assert.DoesNotContain("Nullable", System.Text.Json.JsonSerializer.Serialize(problem));
    }

    [Fact]
    public void Any_other_bad_request_does_not_echo_the_framework_message()
    {
        var problem = ApiExceptionHandler.Describe(new BadHttpRequestException("Required parameter \"LoginRequest request\" was not provided from query string."));

        Assert.Equal(StatusCodes.Status400BadRequest, problem.Status);
        Assert.DoesNotContain("LoginRequest", problem.Detail);
    }
}
