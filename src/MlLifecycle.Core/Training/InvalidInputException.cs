namespace MlLifecycle.Core.Training;

/// <summary>Rows that cannot be scored, naming the offending field (and row).</summary>
/// <param name="message">What is wrong, for people.</param>
/// <param name="field">The feature (or request field) at fault.</param>
/// <param name="row">Index of the row at fault (0 = the first row).</param>
/// <param name="tooLarge">The input exceeds a size limit (HTTP 413) rather than being malformed (400).</param>
public sealed class InvalidInputException(string message, string? field = null, int? row = null, bool tooLarge = false) : Exception(message)
{
    public string? Field { get; } = field;

    public int? Row { get; } = row;

    public bool TooLarge { get; } = tooLarge;
}
