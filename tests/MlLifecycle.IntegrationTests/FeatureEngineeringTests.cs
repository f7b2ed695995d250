using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlLifecycle.Core.Spec;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

[Collection(PlatformCollection.Name)]
public class FeatureEngineeringTests(PlatformFixture platform)
{
    /// <summary>
    /// Daily sales of three stores over 150 days: each day's sales follow the store's previous day (an AR(1) series)
    /// plus a promotion effect and a weekend bump, so the lag of the label carries most of the signal.
    /// </summary>
    private static byte[] StoreSales()
    {
        var random = new Random(5);
        var text = new StringBuilder("date,store,promo,temp,sales\n");
        foreach (var store in new[] { "north", "south", "east" })
        {
            var sales = 100.0;
            for (var day = 0; day < 150; day++)
            {
                var date = new DateTime(2024, 1, 1).AddDays(day);
                var promo = random.Next(4) == 0;
                sales = 40 + 0.6 * sales + (promo ? 25 : 0) + (date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 15 : 0) + random.NextDouble() * 6;
                text.Append(CultureInfo.InvariantCulture, $"{date:yyyy-MM-dd},{store},{(promo ? "yes" : "no")},{10 + random.NextDouble() * 15:F1},{sales:F2}\n");
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static Dictionary<string, object?> RawRow(bool withHistory)
    {
        var row = new Dictionary<string, object?> { ["date"] = "2024-06-01", ["store"] = "south", ["promo"] = "yes", ["temp"] = 21.5 };
        if (withHistory)
        {
            for (var k = 1; k <= 7; k++)
            {
                row[$"sales_lag{k}"] = 150.0 + k;
            }
        }

        return row;
    }

    [Fact]
    public async Task LagsAndRollingWindows_TrainWithoutLookAhead_AndServeRawRequestsWithHistoryFields()
    {
        await platform.UploadAsync("sales/daily.csv", StoreSales());
        var spec = new
        {
            label = "sales",
            features = new { orderBy = "date", entity = "store", lags = new { sales = new[] { 1, 7 } }, rolling = new[] { new { column = "sales", window = 7, stats = new[] { "mean", "max" } } } },
            validation = new { trainers = new[] { "LightGbm" } },
        };

        var started = await (await platform.Http.PostAsJsonAsync("api/training", new { model = "sales", dataset = "sales/daily.csv", spec })).Content.ReadFromJsonAsync<JsonElement>();
        var run = await platform.WaitForRunAsync(started.GetProperty("runId").GetString()!);
        Assert.True(run.Status == RunStatus.Succeeded, $"{run.Status} {run.Message} {string.Join("; ", (run.Anomalies ?? []).Select(a => a.Message))}");
        var manifest = JsonDocument.Parse((await platform.Store.ReadAsync(ArtifactStore.Artifacts, $"sales/{run.Version}/manifest.json")).ToString()).RootElement;
        var transforms = manifest.GetProperty("transforms").EnumerateArray().Select(t => t.GetString()!).ToList();
        var raw = await platform.Http.PostAsJsonAsync($"api/models/sales/predict?version={run.Version}", RawRow(withHistory: true));
        var noHistory = await platform.Http.PostAsJsonAsync($"api/models/sales/predict?version={run.Version}", RawRow(withHistory: false));
        var problem = await noHistory.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(CvMethod.TimeSeries, run.Selection!.Method); // the lags' order also orders the split and the folds
        var split = (await platform.Store.ReadJsonAsync<Core.Validation.ValidationPlan>(ArtifactStore.Artifacts, $"sales/runs/{run.RunId}/split.json")).Split;
        Assert.True(split.Train.Max(i => i % 150) < split.Test.Min(i => i % 150), "every test day comes after every training day"); // rows are store-major: row i is day i % 150
        Assert.True(run.Metrics!["r2"] > 0.5, $"r2 {run.Metrics["r2"]}");
        Assert.Contains(transforms, t => t.StartsWith("d0_lag:", StringComparison.Ordinal));    // lag(sales, 1)
        Assert.Contains(transforms, t => t.StartsWith("d2_mean:", StringComparison.Ordinal));   // rolling_mean(sales, 7)
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        var prediction = (await raw.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("predictions")[0].GetProperty("score").GetDouble();
        Assert.InRange(prediction, 100, 300);
        Assert.Equal(HttpStatusCode.BadRequest, noHistory.StatusCode);
        Assert.Equal("sales_lag1", problem.GetProperty("field").GetString());
        Assert.Contains("history field", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("for the same 'store'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smote_IsRecordedInTheManifest_AndSelectionDecisionsAreStored()
    {
        await platform.UploadAsync("smote/credit.csv", await File.ReadAllBytesAsync(PlatformFixture.CreditCsvPath));
        var spec = new { label = "class", augmentation = new { method = "smote" }, validation = new { trainers = new[] { "Linear" }, folds = 3 } };

        var started = await (await platform.Http.PostAsJsonAsync("api/training", new { model = "smote", dataset = "smote/credit.csv", spec })).Content.ReadFromJsonAsync<JsonElement>();
        var run = await platform.WaitForRunAsync(started.GetProperty("runId").GetString()!);
        Assert.True(run.Status == RunStatus.Succeeded, $"{run.Status} {run.Message}");
        var manifest = JsonDocument.Parse((await platform.Store.ReadAsync(ArtifactStore.Artifacts, $"smote/{run.Version}/manifest.json")).ToString()).RootElement;
        var augmentation = manifest.GetProperty("training").GetProperty("augmentation");
        var after = augmentation.GetProperty("classCountsAfter");

        Assert.Equal("Smote", augmentation.GetProperty("method").GetString());
        Assert.True(augmentation.GetProperty("syntheticRows").GetInt32() > 200); // 70/30 classes on 850 rows
        Assert.Equal(after.GetProperty("good").GetInt32(), after.GetProperty("bad").GetInt32());
        Assert.Equal(manifest.GetProperty("training").GetProperty("rows").GetInt32(), augmentation.GetProperty("classCountsBefore").EnumerateObject().Sum(c => c.Value.GetInt32()));
        Assert.Equal(20, manifest.GetProperty("featureSelection").GetProperty("decisions").GetArrayLength());
        Assert.Equal(20, run.Features!.Inputs);
        Assert.Equal(augmentation.GetProperty("syntheticRows").GetInt32(), run.Features.SyntheticRows);
    }
}
