namespace MlLifecycle.Core.Data;

/// <summary>A dataset that cannot be used, with a stable anomaly code and the column it concerns.</summary>
public sealed class DataValidationException(string code, string? column, string message, int count = 1)
    : Exception(message)
{
    public string Code { get; } = code;

    public string? Column { get; } = column;

    public int Count { get; } = count;
}

/// <summary>Stable anomaly codes, shown in run records and quarantine reasons.</summary>
public static class AnomalyCodes
{
    public const string DatasetNotFound = "DatasetNotFound";
    public const string DatasetReplaced = "DatasetReplaced";
    public const string EmptyFile = "EmptyFile";
    public const string NoRows = "NoRows";
    public const string DuplicateColumn = "DuplicateColumn";
    public const string RaggedRow = "RaggedRow";
    public const string MalformedCsv = "MalformedCsv";
    public const string InvalidEncoding = "InvalidEncoding";
    public const string FileTooLarge = "FileTooLarge";
    public const string MissingLabel = "MissingLabelColumn";
    public const string LabelAllMissing = "LabelAllMissing";
    public const string ConstantLabel = "ConstantLabel";
    public const string NoFeatures = "NoUsableFeatures";
    public const string TooFewRows = "TooFewRows";
    public const string TooManyFolds = "TooManyFolds";
    public const string InvalidSpec = "InvalidSpec";
    public const string AllMissingColumn = "AllMissingColumn";
    public const string TypeMismatch = "TypeMismatch";
    public const string NonFiniteValue = "NonFiniteValue";
    public const string CsvInjection = "CsvInjection";
    public const string LabelTaskMismatch = "LabelTaskMismatch";
    public const string UnknownPositiveClass = "UnknownPositiveClass";
    public const string ColumnIgnored = "ColumnIgnored";
    public const string DuplicateRows = "DuplicateRows";
    public const string LeakageSuspect = "LeakageSuspect";
    public const string ClassImbalance = "ClassImbalance";
    public const string MissingColumn = "MissingColumn";
    public const string ExtraColumn = "ExtraColumn";
    public const string UnseenCategory = "UnseenCategory";
    public const string OutOfRange = "OutOfRange";
    public const string UnexpectedMissing = "UnexpectedMissing";
    public const string AmbiguousHistory = "AmbiguousHistory";
    public const string UnsupportedFormat = "UnsupportedFormat";
    public const string MalformedParquet = "MalformedParquet";
    public const string NestedColumn = "NestedColumn";
    public const string InvalidGzip = "InvalidGzip";
    public const string OverMemoryBudget = "OverMemoryBudget";

    /// <summary>
    /// True for a rejection caused by the request rather than by the file: which blob, which label, the spec's fields.
    /// The same upload may train with another request, so such a rejection never quarantines it.
    /// </summary>
    public static bool IsRequestProblem(string code) =>
        code is DatasetNotFound or DatasetReplaced or InvalidSpec or MissingLabel or LabelAllMissing or ConstantLabel
            or LabelTaskMismatch or UnknownPositiveClass or MissingColumn or TooManyFolds;
}
