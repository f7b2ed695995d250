namespace MlLifecycle.IntegrationTests;

/// <summary>Tests that run host processes or heavy runs, one at a time (their time bounds assume a machine not also doing the other's work).</summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "Processes";
}
