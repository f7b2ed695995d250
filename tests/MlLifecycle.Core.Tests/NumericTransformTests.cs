using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class NumericTransformTests
{
    private static readonly float[] Train = [1, 2, 3, float.NaN, 100];

    [Theory]
    [InlineData(NumericImputation.Median, 2.5)] // median of 1, 2, 3, 100
    [InlineData(NumericImputation.Mean, 26.5)]
    [InlineData(NumericImputation.Constant, -1.0)]
    public void Fit_Imputation_UsesTrainingValues(NumericImputation imputation, double fill)
    {
        var t = NumericTransform.Fit("f0", Train, new CleaningSpec { NumericImputation = imputation, FillValue = -1 });

        Assert.Equal(fill, t.Fill, 10);
        Assert.Equal(fill, t.Apply(double.NaN), 10);
        Assert.Equal(3, t.Apply(3), 10);
    }

    [Fact]
    public void Fit_ClipWithIqr_WinsorizesAtTukeyFences()
    {
        // Sorted 1, 2, 3, 100: Q1 = 1.75, Q3 = 27.25, IQR = 25.5 → fences [−36.5, 65.5].
        var t = NumericTransform.Fit("f0", Train, new CleaningSpec { Outliers = OutlierPolicy.Clip });

        Assert.Equal(-36.5, t.Lower!.Value, 10);
        Assert.Equal(65.5, t.Upper!.Value, 10);
        Assert.Equal(65.5, t.Apply(100), 10);
        Assert.Equal(-36.5, t.Apply(-1000), 10);
    }

    [Theory]
    [InlineData(Scaling.MinMax, 1.0, 99.0)]
    [InlineData(Scaling.Robust, 2.5, 25.5)]
    public void Fit_Scaling_ShiftsAndScales(Scaling scaling, double shift, double scale)
    {
        var t = NumericTransform.Fit("f0", Train, new CleaningSpec { Scaling = scaling });

        Assert.Equal(shift, t.Shift, 10);
        Assert.Equal(scale, t.Scale, 10);
        Assert.Equal((50 - shift) / scale, t.Apply(50), 10);
    }

    [Fact]
    public void Fit_StandardScaling_UsesSampleStd()
    {
        var t = NumericTransform.Fit("f0", [2, 4, 6], new CleaningSpec { Scaling = Scaling.Standard });

        Assert.Equal(4, t.Shift, 10);
        Assert.Equal(2, t.Scale, 10); // sqrt((4 + 0 + 4) / 2)
    }

    [Fact]
    public void ToExpression_IsReadableMlNetLambda()
    {
        var t = new NumericTransform("f0", 2.5, -36.5, 65.5, 1, 2);

        Assert.Equal("x => ((isna(x) ? 2.5 : (x < -36.5 ? -36.5 : (x > 65.5 ? 65.5 : x))) - 1) / 2", t.ToExpression());
    }
}

public class LeakageTests
{
    /// <summary>
    /// Rows 0–69 (training) have x in 1..10; rows 70–99 (validation and test) have x = 1000 and missing values.
    /// Every fitted statistic must come from the training rows alone.
    /// </summary>
    [Fact]
    public void Train_FitsImputationClippingAndScalingOnTrainingRowsOnly()
    {
        var rows = new List<string?[]>();
        var labels = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            var x = i < 70 ? (i % 10 + 1).ToString(CultureInfo.InvariantCulture) : i % 2 == 0 ? "1000" : null;
            rows.Add([x, i % 3 == 0 ? "u" : "v"]);
            labels.Add(i % 2 == 0 ? "a" : "b");
        }

        var table = ColumnTable.FromRows(["x", "c", "y"], rows.Select((r, i) => new[] { r[0], r[1], labels[i] }).ToList());
        var schema = SchemaInference.Infer(table, "y");
        var cleaning = new CleaningSpec { NumericImputation = NumericImputation.Mean, Outliers = OutlierPolicy.Clip, Scaling = Scaling.Standard };
        var train = Enumerable.Range(0, 70).ToList();

        var model = TrainedModel.Train(schema, train.Select(i => rows[i]).ToList(), train.Select(i => labels[i]).ToList(), seed: 1, new ProblemSpec { Cleaning = cleaning });

        // Training x: 1..10 seven times each → mean 5.5, quartiles 3 and 8 (R7), fences [−4.5, 15.5], nothing clipped,
        // sample std = sqrt(7 · 82.5 / 69).
        var fitted = Assert.Single(model.Details.NumericTransforms);
        Assert.Equal(5.5, fitted.Fill, 6);
        Assert.Equal(-4.5, fitted.Lower!.Value, 6);
        Assert.Equal(15.5, fitted.Upper!.Value, 6);
        Assert.Equal(5.5, fitted.Shift, 6);
        Assert.Equal(Math.Sqrt(7 * 82.5 / 69), fitted.Scale, 6);
    }

    [Fact]
    public void Train_CategoricalModeImputation_UsesTrainingRowsOnly()
    {
        var rows = Enumerable.Range(0, 60).Select(i => new string?[] { (i % 5).ToString(CultureInfo.InvariantCulture), i < 40 ? (i % 4 == 0 ? "rare" : "common") : i % 2 == 0 ? "late" : null }).ToList();
        var labels = Enumerable.Range(0, 60).Select(i => i % 2 == 0 ? "a" : "b").ToList();
        var table = ColumnTable.FromRows(["x", "c", "y"], rows.Select((r, i) => new[] { r[0], r[1], labels[i] }).ToList());
        var schema = SchemaInference.Infer(table, "y");

        var model = TrainedModel.Train(schema, rows[..40], labels[..40], seed: 1, new ProblemSpec { Cleaning = new CleaningSpec { CategoricalImputation = CategoricalImputation.Mode } });

        Assert.Equal("common", model.Details.CategoricalFills["f1"]);
    }

    [Fact]
    public void SavedModel_AppliesTheSameImputationAsTheFittedTransform()
    {
        var random = new Random(3);
        var rows = Enumerable.Range(0, 200).Select(_ => new string?[] { (random.NextDouble() * 10).ToString("R", CultureInfo.InvariantCulture) }).ToList();
        var labels = rows.Select(r => double.Parse(r[0]!, CultureInfo.InvariantCulture) > 5 ? "hi" : "lo").ToList();
        var table = ColumnTable.FromRows(["x", "y"], rows.Select((r, i) => new[] { r[0], labels[i] }).ToList());
        var schema = SchemaInference.Infer(table, "y");
        var model = TrainedModel.Train(schema, rows, labels, seed: 1);
        using var zip = new MemoryStream();
        model.Save(zip);
        zip.Position = 0;
        var loaded = TrainedModel.Load(zip, schema, model.Trainer);
        var fill = model.Details.NumericTransforms[0].Fill.ToString("R", CultureInfo.InvariantCulture);

        var missing = loaded.Predict([[null]]);
        var filled = loaded.Predict([[fill]]);

        Assert.Equal(filled[0].Probabilities!["hi"], missing[0].Probabilities!["hi"], 6);
    }
}
