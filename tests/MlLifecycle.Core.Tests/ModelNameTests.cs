namespace MlLifecycle.Core.Tests;

public class ModelNameTests
{
    [Theory]
    [InlineData("credit-g.csv", "credit-g")]
    [InlineData("Seattle Weather 2015.csv", "seattle-weather-2015")]
    [InlineData("___.csv", "model")]
    public void FromFileName_MakesValidName(string file, string expected)
    {
        Assert.Equal(expected, ModelName.FromFileName(file));
        Assert.True(ModelName.IsValid(expected));
    }

    [Theory]
    [InlineData("Credit")]
    [InlineData("a/b")]
    [InlineData("-x")]
    [InlineData("")]
    public void IsValid_RejectsUnsafeNames(string name) => Assert.False(ModelName.IsValid(name));
}
