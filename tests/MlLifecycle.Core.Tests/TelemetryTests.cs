using System.Diagnostics;

namespace MlLifecycle.Core.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public void StartSampled_UnderAnUnrecordedRequestActivity_IsARootSpan_AndUnderARecordedOneAChild()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Telemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> o) => o.Parent == default || o.Parent.TraceFlags.HasFlag(ActivityTraceFlags.Recorded)
                ? ActivitySamplingResult.AllDataAndRecorded
                : ActivitySamplingResult.None, // a parent-based sampler
        };
        ActivitySource.AddActivityListener(listener);

        // What ASP.NET Core makes for each request's log scopes when nothing records it.
        using (var request = new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn").Start())
        {
            Assert.False(request.Recorded);
            using var span = Telemetry.StartSampled("predict", 1);
            Assert.NotNull(span);
            Assert.Equal(default, span.ParentSpanId);
            Assert.True(span.Recorded);
        }

        using (var recorded = Telemetry.Source.StartActivity("invocation"))
        {
            using var span = Telemetry.StartSampled("predict", 1);
            Assert.Equal(recorded!.SpanId, span!.ParentSpanId);
        }

        Assert.Null(Telemetry.StartSampled("predict", 0));
    }
}
