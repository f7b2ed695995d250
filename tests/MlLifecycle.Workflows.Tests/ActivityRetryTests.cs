using Microsoft.DurableTask;

namespace MlLifecycle.Workflows.Tests;

public class ActivityRetryTests
{
    [Theory]
    [InlineData("System.IO.IOException", "disk hiccup", true)]
    [InlineData("System.TimeoutException", "slow", true)]
    [InlineData("Azure.RequestFailedException", "Service request failed.\nStatus: 503 (Server Busy)", true)]
    [InlineData("Azure.RequestFailedException", "Service request failed.\nStatus: 429 (Too Many Requests)", true)]
    [InlineData("Azure.RequestFailedException", "Service request failed.\nStatus: 404 (The specified blob does not exist.)", false)]
    [InlineData("System.InvalidOperationException", "Tuning scores trials on the validation split: set split.validation > 0.", false)]
    [InlineData("MlLifecycle.Core.Data.DataValidationException", "bad data", false)]
    [InlineData("System.IO.FileNotFoundException", "no such file", false)]
    public void IsTransient_ByTypeAndStorageStatus(string type, string message, bool transient) =>
        Assert.Equal(transient, ActivityRetry.IsTransient(new TaskFailureDetails(type, message.Replace("\\n", "\n", StringComparison.Ordinal), null, null, null)));

    [Fact]
    public void IsTransient_WrappedTransientFailure_IsTransient() =>
        Assert.True(ActivityRetry.IsTransient(new TaskFailureDetails("System.AggregateException", "one or more", null, new TaskFailureDetails("System.Net.Http.HttpRequestException", "refused", null, null, null), null)));
}
