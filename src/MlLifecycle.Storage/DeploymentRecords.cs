using System.Text.Json.Serialization;

namespace MlLifecycle.Storage;

/// <summary>Who changed a deployment, and why (kept in the history and sent with the event).</summary>
public sealed record Actor(string By, string? Reason = null)
{
    /// <summary>The lifecycle itself (registration, the gate's promotion).</summary>
    public static readonly Actor Lifecycle = new("lifecycle");
}

/// <summary>An alias: the version it points at, the one before (rollback target), its ETag and its last change.</summary>
public sealed record AliasState(string Alias, int Version, int? Previous, string ETag, DateTimeOffset UpdatedAt, string? UpdatedBy, string? Reason);

public enum AliasMoveOutcome
{
    Moved,

    /// <summary>The alias already pointed at the version.</summary>
    Unchanged,

    /// <summary>The guard did not hold (ETag or expected version): nothing was written.</summary>
    Conflict,
}

/// <summary>What a move did, and the alias afterwards (for a conflict: as it is now; null when it does not exist).</summary>
public sealed record AliasMove(AliasMoveOutcome Outcome, AliasState? State);

/// <summary>The condition of an alias move: none, an ETag (<c>If-Match</c>), or the version it must still point at (null = must not exist).</summary>
public sealed record AliasGuard(string? ETag, bool ChecksVersion, int? Version)
{
    public static readonly AliasGuard None = new(null, false, null);

    public static AliasGuard IfMatch(string etag) => new(etag, false, null);

    public static AliasGuard From(int? version) => new(null, true, version);
}

/// <summary>Requests routed without an alias or version are split across aliases by weight; <paramref name="Shadow"/> also scores them, unseen.</summary>
/// <param name="Weights">Alias → weight (non-negative, any total).</param>
/// <param name="Shadow">A version that scores a copy of each routed request; its answers are logged, never returned.</param>
public sealed record TrafficSplit(IReadOnlyDictionary<string, int> Weights, int? Shadow = null)
{
    /// <summary>When the split was set (read back from the registry; where an A/B test's window starts).</summary>
    [JsonIgnore]
    public DateTimeOffset SetAt { get; init; }

    /// <summary>Who set the split (read back from the registry): <c>monitor</c> for the closed loop's canary.</summary>
    [JsonIgnore]
    public string? SetBy { get; init; }
}

/// <summary>What serving needs to route a model's requests.</summary>
public sealed record Routing(IReadOnlyDictionary<string, int> Aliases, TrafficSplit? Traffic);

/// <summary>One deployment change: an alias move, a rollback, a traffic change, a registration or a stage change.</summary>
/// <param name="Action">One of <see cref="DeploymentActions"/> or a stage name.</param>
/// <param name="Detail">The traffic split as JSON, for a traffic change.</param>
public sealed record DeploymentChange(string Model, string Action, string? Alias, int? From, int? To, string By, string? Reason, DateTimeOffset At, string? Detail = null);

public static class DeploymentActions
{
    public const string Register = "register";
    public const string Promote = "promote";
    public const string Move = "move";
    public const string Rollback = "rollback";
    public const string Remove = "remove";
    public const string Traffic = "traffic";
    public const string Experiment = "experiment";
}
