using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Tests;

public class SpecReaderTests
{
    [Fact]
    public void Parse_FullSpec_ReadsEveryField()
    {
        var spec = SpecReader.Parse("""
            {
              "label": "class", "task": "binaryClassification", "positiveClass": "bad",
              "costs": { "falseNegative": 5, "falsePositive": 1 },
              "successCriteria": { "recall": 0.6 }, "seed": 7,
              "split": { "train": 0.6, "validation": 0.2, "test": 0.2 },
              "columns": { "id": "ignore", "zip": "categorical" },
              "cleaning": { "dropDuplicates": false, "numericImputation": "mean", "outliers": "clip", "outlierMethod": "mad", "scaling": "robust" },
              "features": { "interactions": [{ "columns": ["x", "z"], "op": "ratio" }], "log": ["x"], "buckets": { "x": [1, 2] } }
            }
            """);

        Assert.Equal(MlTask.BinaryClassification, spec.Task);
        Assert.Equal(5, spec.Costs!.FalseNegative);
        Assert.Equal(0.6, spec.Split!.Train);
        Assert.Equal(ColumnRole.Ignore, spec.Columns!["id"]);
        Assert.False(spec.Cleaning!.DropDuplicates);
        Assert.Equal(OutlierMethod.Mad, spec.Cleaning.OutlierMethod);
        Assert.Equal(Scaling.Robust, spec.Cleaning.Scaling);
        Assert.Equal(7, spec.EffectiveSeed);
    }

    [Fact]
    public void Parse_Empty_UsesDefaults()
    {
        var spec = SpecReader.Parse("{}");

        Assert.Equal(ProblemSpec.DefaultSeed, spec.EffectiveSeed);
        Assert.True(spec.EffectiveCleaning.DropDuplicates);
        Assert.Equal(NumericImputation.Median, spec.EffectiveCleaning.NumericImputation);
        Assert.Equal(0.7, spec.EffectiveSplit.Train);
    }

    [Fact]
    public void Parse_Lags_ValidateInTheirTimeOrder()
    {
        var spec = SpecReader.Parse("""{"features": {"orderBy": "date", "rolling": [{"column": "sales", "window": 3}]}}""");

        Assert.Equal("date", spec.EffectiveValidation.OrderBy);
        Assert.Equal("date", SpecReader.Parse("""{"features": {"lags": {"x": [1]}}, "validation": {"orderBy": "date"}}""").Features!.OrderBy);
        Assert.Equal("date", SpecReader.Parse("""{"features": {"orderBy": "date", "lags": {"x": [1]}}, "validation": {"method": "timeSeries"}}""").EffectiveValidation.OrderBy);
    }

    [Fact]
    public void Parse_Drift_ReadsThresholdsAndPerFeatureOverrides()
    {
        var spec = SpecReader.Parse("""
            {"drift": {"alpha": 0.01, "minPsi": 0.2, "driftedShare": 0, "features": {"credit_amount": {"minDistance": 0.05, "minRows": 500}}}}
            """);

        var amount = spec.EffectiveDrift.ThresholdsFor("credit_amount");
        var other = spec.EffectiveDrift.ThresholdsFor("age");

        Assert.Equal(0, spec.EffectiveDrift.DriftedShare);
        Assert.Equal(new Monitoring.DriftThresholds { Alpha = 0.01, MinDistance = 0.05, MinPsi = 0.2, MinRows = 500 }, amount);
        Assert.Equal(new Monitoring.DriftThresholds { Alpha = 0.01, MinDistance = 0.1, MinPsi = 0.2, MinRows = 100 }, other);
    }

    [Fact]
    public void Parse_NoDrift_UsesDocumentedDefaults()
    {
        var drift = SpecReader.Parse("{}").EffectiveDrift;

        Assert.Equal(0.3, drift.DriftedShare);
        Assert.Equal(new Monitoring.DriftThresholds { Alpha = 0.05, MinDistance = 0.1, MinPsi = 0.1, MinRows = 100 }, drift.ThresholdsFor("any"));
    }

    [Theory]
    [InlineData("""{"lable": "x"}""", "lable")]
    [InlineData("""{"cleaning": {"scaling": "log"}}""", "cleaning.scaling")]
    [InlineData("""{"seed": "abc"}""", "seed")]
    [InlineData("""{"split": {"train": 0.8, "validation": 0.15, "test": 0.15}}""", "split")]
    [InlineData("""{"split": {"train": 1.2, "validation": 0, "test": -0.2}}""", "split.train")]
    [InlineData("""{"task": "regression", "primaryMetric": "auc"}""", "primaryMetric")]
    [InlineData("""{"task": "regression", "costs": {"falseNegative": 1, "falsePositive": 2}}""", "costs")]
    [InlineData("""{"costs": {"falseNegative": 0, "falsePositive": 2}}""", "costs")]
    [InlineData("""{"successCriteria": {"speed": 1}}""", "successCriteria.speed")]
    [InlineData("""{"label": "y", "columns": {"y": "numeric"}}""", "columns.y")]
    [InlineData("""{"task": "multiclassClassification", "positiveClass": "a"}""", "positiveClass")]
    [InlineData("""[1, 2]""", "$")]
    [InlineData("""{"tuning": {"strategy": "tpe", "maxTrials": 0}}""", "tuning.maxTrials")]
    [InlineData("""{"tuning": {"eta": 1}}""", "tuning.eta")]
    [InlineData("""{"features": {"interactions": [{"columns": ["a"]}]}}""", "features.interactions[0]")]
    [InlineData("""{"features": {"buckets": {"age": [50, 30]}}}""", "features.buckets.age")]
    [InlineData("""{"features": {"lags": {"sales": [0]}}}""", "features.lags.sales")]
    [InlineData("""{"features": {"lags": {"sales": []}}}""", "features.lags.sales")]
    [InlineData("""{"features": {"rolling": [{"column": "sales", "window": 400}]}}""", "features.rolling[0]")]
    [InlineData("""{"features": {"rolling": [{"column": "sales", "window": 3, "stats": ["median"]}]}}""", "features.rolling[0].stats[0]")]
    [InlineData("""{"features": {"selection": {"topK": 0}}}""", "features.selection")]
    [InlineData("""{"features": {"selection": {"nearConstant": 1.5}}}""", "features.selection")]
    [InlineData("""{"features": {"oneHotMaxCategories": 0}}""", "features.oneHotMaxCategories")]
    [InlineData("""{"augmentation": {"method": "smote", "ratio": 2}}""", "augmentation")]
    [InlineData("""{"task": "regression", "augmentation": {"method": "jitter"}}""", "augmentation.method")]
    [InlineData("""{"augmentation": {"method": "adasyn"}}""", "augmentation.method")]
    [InlineData("""{"features": {"orderBy": "t", "lags": {"x": [1]}}, "validation": {"orderBy": "u"}}""", "validation.orderBy")]
    [InlineData("""{"features": {"orderBy": "t", "lags": {"x": [1]}}, "validation": {"method": "stratifiedKFold"}}""", "validation.method")]
    [InlineData("""{"split": {"train": 0.8, "validation": 0, "test": 0.2}, "tuning": {"strategy": "random"}}""", "split.validation")]
    [InlineData("""{"tuning": {"space": {"learningRate": {"min": 0, "max": 0.3, "log": true}}}}""", "tuning.space.learningRate")]
    [InlineData("""{"tuning": {"space": {"learningrate": {"min": 0.01, "max": 0.3}}}}""", "tuning.space.learningrate")]
    [InlineData("""{"tuning": {"space": {"classWeightPower": {"choices": [1, -1]}}}}""", "tuning.space.classWeightPower")]
    [InlineData("""{"tuning": {"strategy": "bayes"}}""", "tuning.strategy")]
    [InlineData("""{"validation": {"method": "timeSeries"}}""", "validation.orderBy")]
    [InlineData("""{"validation": {"trainers": ["Xgboost"]}}""", "validation.trainers")]
    [InlineData("""{"drift": {"alpha": 0}}""", "drift.alpha")]
    [InlineData("""{"drift": {"driftedShare": 1.5}}""", "drift.driftedShare")]
    [InlineData("""{"drift": {"minDistance": 2}}""", "drift.minDistance")]
    [InlineData("""{"drift": {"features": {"age": {"minRows": 1}}}}""", "drift.features.age.minRows")]
    [InlineData("""{"drift": {"features": {"age": {"minPsi": -0.1}}}}""", "drift.features.age.minPsi")]
    [InlineData("""{"drift": {"treshold": 0.1}}""", "drift.treshold")]
    [InlineData("""{"split": {"salt": " "}}""", "split.salt")]
    [InlineData("""{"split": {"refit": "yes"}}""", "split.refit")]
    [InlineData("""{"monitor": {"canaryWeight": 100}}""", "monitor.canaryWeight")]
    [InlineData("""{"monitor": {"canaryTolerance": -0.1}}""", "monitor.canaryTolerance")]
    [InlineData("""{"monitor": {"canaryMaxErrorRate": 1.5}}""", "monitor.canaryMaxErrorRate")]
    public void Parse_InvalidField_NamesIt(string json, string field)
    {
        var ex = Assert.Throws<SpecException>(() => SpecReader.Parse(json));

        Assert.Contains(ex.Errors, e => e.Field == field);
    }
}

public class PrimaryMetricTests
{
    private static DatasetSchema Schema(MlTask task) =>
        new(100, new ColumnSchema("y", ColumnKind.Categorical, 0, 2, null, null, null), task, task == MlTask.Regression ? null : ["a", "b"], null, []);

    [Theory]
    [InlineData(5.0, 1.0, "recall")]
    [InlineData(1.0, 5.0, "precision")]
    [InlineData(1.0, 1.5, "f1")]
    public void Choose_BinaryWithCosts_FollowsDominantError(double fn, double fp, string expected) =>
        Assert.Equal(expected, PrimaryMetric.Choose(new ProblemSpec { Costs = new CostSpec(fn, fp) }, Schema(MlTask.BinaryClassification), 1.0));

    [Theory]
    [InlineData(MlTask.BinaryClassification, 1.0, "auc")]
    [InlineData(MlTask.BinaryClassification, 2.3, "f1")]
    [InlineData(MlTask.MulticlassClassification, 1.2, "accuracy")]
    [InlineData(MlTask.MulticlassClassification, 4.0, "balancedAccuracy")]
    [InlineData(MlTask.Regression, null, "rmse")]
    public void Choose_WithoutCosts_FollowsBalance(MlTask task, double? imbalance, string expected) =>
        Assert.Equal(expected, PrimaryMetric.Choose(new ProblemSpec(), Schema(task), imbalance));

    [Fact]
    public void Choose_Declared_Wins() =>
        Assert.Equal("logLoss", PrimaryMetric.Choose(new ProblemSpec { PrimaryMetric = "logLoss", Costs = new CostSpec(9, 1) }, Schema(MlTask.BinaryClassification), 3));

    [Fact]
    public void Check_ComparesInTheMetricsDirection()
    {
        var results = PrimaryMetric.Check(
            new Dictionary<string, double> { ["f1"] = 0.7, ["rmse"] = 2.0, ["auc"] = 0.9 },
            new Dictionary<string, double> { ["f1"] = 0.72, ["rmse"] = 2.5 });

        Assert.True(results.Single(r => r.Metric == "f1").Passed);
        Assert.False(results.Single(r => r.Metric == "rmse").Passed);
        Assert.False(results.Single(r => r.Metric == "auc").Passed);
        Assert.Null(results.Single(r => r.Metric == "auc").Value);
    }
}
