using Microsoft.ML;
using Microsoft.ML.Data;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Training;

/// <summary>
/// Scores one row at a time through a row-to-row mapper built once (what ML.NET's <c>PredictionEngine</c> does, for
/// columns known only at run time): no data view or cursor per call. Not thread-safe; <see cref="TrainedModel"/> pools them.
/// </summary>
internal sealed class RowScorer
{
    private readonly CurrentRow _source = new();
    private readonly RowsDataView.LiveRow _input;
    private readonly Func<Prediction> _read;

    public RowScorer(ITransformer transformer, DatasetSchema schema, IReadOnlyList<InputColumn> inputs)
    {
        var view = FeatureRows.ToDataView(schema, inputs, _source);
        _input = view.FirstRow();
        var mapper = transformer.GetRowToRowMapper(view.Schema);
        var output = mapper.OutputSchema;
        switch (schema.Task)
        {
            case MlTask.BinaryClassification:
            {
                var row = mapper.GetRow(_input, [output["Probability"], output["PredictedLabel"]]);
                var probability = row.GetGetter<float>(output["Probability"]);
                var predicted = row.GetGetter<bool>(output["PredictedLabel"]);
                _read = () =>
                {
                    float p = 0;
                    bool label = false;
                    probability(ref p);
                    predicted(ref label);
                    return Predictions.Binary(schema, label, p);
                };
                break;
            }

            case MlTask.MulticlassClassification:
            {
                var row = mapper.GetRow(_input, [output["Score"], output["PredictedLabel"]]);
                var score = row.GetGetter<VBuffer<float>>(output["Score"]);
                var predicted = row.GetGetter<uint>(output["PredictedLabel"]);
                var scores = default(VBuffer<float>);
                _read = () =>
                {
                    uint key = 0;
                    score(ref scores);
                    predicted(ref key);
                    return Predictions.Multiclass(schema, key, scores.DenseValues().ToArray());
                };
                break;
            }

            default:
            {
                var row = mapper.GetRow(_input, [output["Score"]]);
                var score = row.GetGetter<float>(output["Score"]);
                _read = () =>
                {
                    float s = 0;
                    score(ref s);
                    return Predictions.Regression(s);
                };
                break;
            }
        }
    }

    /// <summary>Scores row <paramref name="row"/> of <paramref name="rows"/>.</summary>
    public Prediction Predict(FeatureSource rows, int row)
    {
        (_source.Rows, _source.Row) = (rows, row);
        _input.Advance();
        return _read();
    }

    /// <summary>A one-row source that reads the row being scored.</summary>
    private sealed class CurrentRow : FeatureSource
    {
        public FeatureSource Rows { get; set; } = FromCells([]);

        public int Row { get; set; }

        public override int Count => 1;

        public override double Number(int feature, int row) => Rows.Number(feature, Row);

        public override string Text(int feature, int row) => Rows.Text(feature, Row);

        public override float Boolean(int feature, int row) => Rows.Boolean(feature, Row);

        public override DateTime? Date(int feature, int row) => Rows.Date(feature, Row);
    }
}

/// <summary>A model's raw outputs as <see cref="Prediction"/>s: the same for single rows and batches.</summary>
internal static class Predictions
{
    public static Prediction Binary(DatasetSchema schema, bool predicted, float probability)
    {
        var positive = schema.PositiveClass!;
        var negative = schema.Classes!.First(c => c != positive);
        return new Prediction(predicted ? positive : negative, null, new Dictionary<string, double> { [positive] = probability, [negative] = 1 - probability });
    }

    public static Prediction Multiclass(DatasetSchema schema, uint key, IReadOnlyList<float> scores)
    {
        // One-versus-all scores are per-class probabilities that need not add up to 1.
        var classes = schema.Classes!;
        var total = scores.Sum(s => Math.Max(0, (double)s));
        return new Prediction(
            key == 0 ? null : classes[(int)key - 1],
            null,
            classes.Select((c, j) => (c, p: total > 0 ? Math.Max(0, scores[j]) / total : 1.0 / classes.Count)).ToDictionary(x => x.c, x => x.p));
    }

    public static Prediction Regression(float score) => new(null, score, null);
}
