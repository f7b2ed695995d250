using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Api;
using MlLifecycle.Workflows;
using Moq;

namespace MlLifecycle.Functions.Tests;

public class TrainingFunctionsTests
{
    private readonly Mock<DurableTaskClient> _client = new("test");
    private readonly Mock<BlobClient> _blob = new();

    private TrainingFunctions CreateFunctions() => new(new TrainingStarter(NullLogger<TrainingStarter>.Instance));

    public TrainingFunctionsTests()
    {
        var properties = BlobsModelFactory.BlobProperties(eTag: new ETag("\"0x8DE01\""));
        _blob.Setup(b => b.GetPropertiesAsync(It.IsAny<BlobRequestConditions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Response.FromValue(properties, Mock.Of<Response>()));
    }

    [Fact]
    public async Task DatasetUploaded_NewBlobVersion_SchedulesTrainingUnderBlobRunId()
    {
        await CreateFunctions().DatasetUploaded(_blob.Object, "credit", "data.csv", _client.Object, CancellationToken.None);

        _client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.Is<TaskName>(n => n.Name == ActivityNames.TrainingOrchestration),
            It.Is<TrainingRequest>(r => r.Model == "credit" && r.Dataset == "credit/data.csv"),
            It.Is<StartOrchestrationOptions>(o => o.InstanceId == RunIds.ForBlob("credit/data.csv", "0x8DE01")),
            It.IsAny<CancellationToken>()));
    }

    [Fact]
    public async Task DatasetUploaded_RunAlreadyExists_DoesNotScheduleAgain()
    {
        var existing = new OrchestrationMetadata(ActivityNames.TrainingOrchestration, "x");
        _client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(existing);
        _client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>())).ReturnsAsync(existing);

        await CreateFunctions().DatasetUploaded(_blob.Object, "credit", "data.csv", _client.Object, CancellationToken.None);

        _client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task DatasetUploaded_InvalidModelFolder_IsIgnored()
    {
        await CreateFunctions().DatasetUploaded(_blob.Object, "Bad Name", "data", _client.Object, CancellationToken.None);

        _client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
