using System.Globalization;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class FeatureSelectionTests
{
    private const int Rows = 20;

    // Rows 0–9 are "lo", 10–19 "hi".
    private static readonly string[] Labels = [.. Enumerable.Range(0, Rows).Select(i => i < 10 ? "lo" : "hi")];

    // x = i: 10 equal-frequency bins of 2 rows, each pure → plug-in ln 2, correction (10 − 1)(2 − 1) / 40.
    private static readonly double XInformation = Math.Log(2) - 9.0 / 40;

    private static SelectionCandidate Numeric(string name, Func<int, float> value, int rows = Rows) =>
        new(name, Enumerable.Range(0, rows).Select(value).ToList(), null);

    private static SelectionCandidate Category(string name, params string[] values) => new(name, null, values);

    private static SelectionDecision Decision(SelectionResult result, string name) => result.Decisions.Single(d => d.Name == name);

    [Fact]
    public void MutualInformation_IdenticalBinaryCodes_IsLn2MinusMillerMadow()
    {
        // Plug-in: ln 2; correction (2 − 1)(2 − 1) / (2 · 4).
        var mi = FeatureSelection.MutualInformation([0, 0, 1, 1], [0, 0, 1, 1]);

        Assert.Equal(Math.Log(2) - 1.0 / 8, mi, 10);
    }

    [Fact]
    public void MutualInformation_IndependentCodes_ClampsToZero()
    {
        // Plug-in 0 minus the correction 1/8 would be negative.
        var mi = FeatureSelection.MutualInformation([0, 0, 1, 1], [0, 1, 0, 1]);

        Assert.Equal(0.0, mi);
    }

    [Fact]
    public void MutualInformation_LengthMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => FeatureSelection.MutualInformation([0, 1], [0]));
    }

    [Fact]
    public void Select_NearConstantInputs_DroppedWithShareAndValue()
    {
        const int rows = 1000;
        var labels = Enumerable.Range(0, rows).Select(i => i % 2 == 0 ? "a" : "b").ToList();
        SelectionCandidate[] candidates =
        [
            Numeric("constant", _ => 5, rows),
            Numeric("rare", i => i < 4 ? 1 : 0, rows),
            Numeric("gaps", i => i < 3 ? i : float.NaN, rows),
            Numeric("edge", i => i < 5 ? 1 : 0, rows),
            Numeric("signal", i => i % 2, rows),
            Numeric("almost", i => i < 6 ? 1 : 0, rows),
        ];

        var result = FeatureSelection.Select(candidates, labels, numericLabel: false, new SelectionSpec());

        Assert.Equal(["signal", "almost"], result.Kept);
        Assert.Equal("near-constant: 100% of rows are 5", Decision(result, "constant").Dropped);
        Assert.Equal("near-constant: 99.6% of rows are 0", Decision(result, "rare").Dropped);
        Assert.Equal("near-constant: 99.7% of rows are missing", Decision(result, "gaps").Dropped);
        Assert.Equal("near-constant: 99.5% of rows are 0", Decision(result, "edge").Dropped);
    }

    [Fact]
    public void Select_LinearCopyWithTiedInformation_LaterDroppedAsDuplicate()
    {
        SelectionCandidate[] candidates = [Numeric("x", i => i), Numeric("y", i => 2 * i + 1), Numeric("alternating", i => i % 2)];

        var result = FeatureSelection.Select(candidates, Labels, numericLabel: false, new SelectionSpec());

        Assert.Equal(["x", "alternating"], result.Kept);
        Assert.Equal("duplicate of x (r = 1)", Decision(result, "y").Dropped);
        Assert.Equal(["x", "y", "alternating"], result.Decisions.Select(d => d.Name));
        Assert.Equal(XInformation, Decision(result, "y").MutualInformation, 10);
    }

    [Fact]
    public void Select_CorrelatedPair_DropsTheOneWithLessInformation()
    {
        // Swapping the values of rows 9 and 10 mixes two bins across the label boundary: MI = 0.8 ln 2 − 9/40.
        // Rank correlation of the swap: r = 1 − 6 · 2 / (20 · 399) ≈ 0.9985.
        SelectionCandidate[] candidates = [Numeric("noisy", i => i switch { 9 => 10, 10 => 9, _ => i }), Numeric("x", i => i)];

        var result = FeatureSelection.Select(candidates, Labels, numericLabel: false, new SelectionSpec());

        Assert.Equal(["x"], result.Kept);
        Assert.Equal("duplicate of x (r = 0.998)", Decision(result, "noisy").Dropped);
        Assert.Equal(0.8 * Math.Log(2) - 9.0 / 40, Decision(result, "noisy").MutualInformation, 10);
    }

    [Fact]
    public void Select_CorrelationWithMissingValues_UsesRowsWhereBothAreFinite()
    {
        // Finite rows are pure bins; the 4 missing rows (2 lo, 2 hi) are one more code: MI = 0.8 ln 2 − 10/40.
        SelectionCandidate[] candidates = [Numeric("y", i => i % 5 == 0 ? float.NaN : -3 * i), Numeric("x", i => i)];

        var result = FeatureSelection.Select(candidates, Labels, numericLabel: false, new SelectionSpec());

        Assert.Equal(["x"], result.Kept);
        Assert.Equal("duplicate of x (r = -1)", Decision(result, "y").Dropped);
        Assert.Equal(0.8 * Math.Log(2) - 10.0 / 40, Decision(result, "y").MutualInformation, 10);
    }

    [Fact]
    public void Select_MoreRowsThanCorrelationSample_StillFindsDuplicates()
    {
        const int rows = 12_000;
        var labels = Enumerable.Range(0, rows).Select(i => i % 2 == 0 ? "a" : "b").ToList();
        SelectionCandidate[] candidates = [Numeric("a", i => i, rows), Numeric("b", i => -i, rows), Numeric("c", i => i % 3, rows)];

        var result = FeatureSelection.Select(candidates, labels, numericLabel: false, new SelectionSpec());

        Assert.Equal(["a", "c"], result.Kept);
        Assert.Equal("duplicate of a (r = -1)", Decision(result, "b").Dropped);
    }

    [Fact]
    public void Select_TopK1_KeepsTheInformativeInput()
    {
        SelectionCandidate[] candidates = [Numeric("alternating", i => i % 2), Numeric("x", i => i)];

        var result = FeatureSelection.Select(candidates, Labels, numericLabel: false, new SelectionSpec { TopK = 1 });

        Assert.Equal(["x"], result.Kept);
        Assert.Equal(["x", "alternating"], result.Decisions.Select(d => d.Name));
        Assert.Equal("not in the top 1 by mutual information", Decision(result, "alternating").Dropped);
    }

    [Fact]
    public void Select_MinMutualInformation_DropsNoise()
    {
        SelectionCandidate[] candidates = [Numeric("alternating", i => i % 2), Numeric("x", i => i)];

        var result = FeatureSelection.Select(candidates, Labels, numericLabel: false, new SelectionSpec { MinMutualInformation = 0.01 });

        Assert.Equal(["x"], result.Kept);
        Assert.Equal("mutual information 0 below 0.01", Decision(result, "alternating").Dropped);
        Assert.Null(Decision(result, "x").Dropped);
    }

    [Fact]
    public void Select_NumericLabel_BinnedIntoTenQuantiles()
    {
        // Labels 0.5 … 19.5 form 10 bins of 2 matching x's bins: ln 10 − (10 − 1)(10 − 1) / 40.
        // As 20 classes the estimate would be ln 10 − 9 · 19 / 40 < 0, clamped to 0.
        var labels = Enumerable.Range(0, Rows).Select(i => (i + 0.5).ToString(CultureInfo.InvariantCulture)).ToList();

        var result = FeatureSelection.Select([Numeric("x", i => i)], labels, numericLabel: true, new SelectionSpec());

        Assert.Equal(Math.Log(10) - 81.0 / 40, result.Decisions[0].MutualInformation, 10);
    }

    [Fact]
    public void Select_TiedNumericValues_NotSplitAcrossBins()
    {
        // A 0/1 column is 2 codes, not 10: ln 2 − (2 − 1)(2 − 1) / 40.
        var result = FeatureSelection.Select([Numeric("step", i => i < 10 ? 0 : 1)], Labels, numericLabel: false, new SelectionSpec());

        Assert.Equal(Math.Log(2) - 1.0 / 40, result.Decisions[0].MutualInformation, 10);
    }

    [Fact]
    public void Select_NothingWouldRemain_KeepsBestInputThatIsNotNearConstant()
    {
        // "step" (60% zeros) is near-constant at 0.5 and has more MI than "mod3" (MI 0), which is below the floor.
        SelectionCandidate[] candidates = [Numeric("step", i => i < 12 ? 0 : 1), Numeric("mod3", i => i % 3)];

        var result = FeatureSelection.Select(candidates, Labels, numericLabel: false, new SelectionSpec { NearConstant = 0.5, MinMutualInformation = 10 });

        Assert.Equal(["mod3"], result.Kept);
        Assert.Null(Decision(result, "mod3").Dropped);
        Assert.Equal("near-constant: 60% of rows are 0", Decision(result, "step").Dropped);
    }

    [Fact]
    public void Select_AllNearConstant_KeepsTheMostInformative()
    {
        SelectionCandidate[] candidates = [Numeric("ones", _ => 1), Numeric("step", i => i < 12 ? 0 : 1)];

        var result = FeatureSelection.Select(candidates, Labels, numericLabel: false, new SelectionSpec { NearConstant = 0.5 });

        Assert.Equal(["step"], result.Kept);
        Assert.True(Decision(result, "step").MutualInformation > Decision(result, "ones").MutualInformation);
        Assert.Equal("near-constant: 100% of rows are 1", Decision(result, "ones").Dropped);
    }

    [Fact]
    public void Select_Categories_MissingIsItsOwnValue()
    {
        string[] labels = ["a", "a", "a", "a", "b", "b", "b", "b"];
        SelectionCandidate[] candidates =
        [
            Category("mostly", "x", "x", "x", "x", "x", "x", "x", "y"),
            Category("empty", "", "", "", "", "", "", "", "z"),
            Category("color", "r", "r", "", "", "b", "b", "b", "b"),
        ];

        var result = FeatureSelection.Select(candidates, labels, numericLabel: false, new SelectionSpec { NearConstant = 0.8 });

        // color has 3 pure codes (r, missing, b): ln 2 − (3 − 1)(2 − 1) / (2 · 8).
        Assert.Equal(["color"], result.Kept);
        Assert.Equal(Math.Log(2) - 2.0 / 16, Decision(result, "color").MutualInformation, 10);
        Assert.Equal("near-constant: 87.5% of rows are \"x\"", Decision(result, "mostly").Dropped);
        Assert.Equal("near-constant: 87.5% of rows are missing", Decision(result, "empty").Dropped);
    }

    [Fact]
    public void Select_InvalidArguments_ThrowArgumentException()
    {
        var spec = new SelectionSpec();

        Assert.Throws<ArgumentException>(() => FeatureSelection.Select([Numeric("short", i => i, Rows - 1)], Labels, false, spec));
        Assert.Throws<ArgumentException>(() => FeatureSelection.Select([new SelectionCandidate("both", new float[Rows], new string[Rows])], Labels, false, spec));
        Assert.Throws<ArgumentException>(() => FeatureSelection.Select([new SelectionCandidate("neither", null, null)], Labels, false, spec));
        Assert.Throws<ArgumentException>(() => FeatureSelection.Select([Numeric("x", i => i)], Labels, false, new SelectionSpec { TopK = 0 }));
    }
}
