using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace MlLifecycle.Core.Monitoring;

/// <summary>
/// Survival function of the one-sample two-sided Kolmogorov–Smirnov statistic D_n, P(D_n ≥ x) — scipy's
/// <c>kstwo.sf(x, n)</c>, which <c>ks_2samp</c>'s asymptotic method evaluates at n = round(n₁n₂/(n₁+n₂)).
/// MathNet has no Kolmogorov distribution, so this follows the method choice of Simard &amp; L'Ecuyer, "Computing the
/// Two-Sided Kolmogorov-Smirnov Distribution" (J. Stat. Softw. 39(11), 2011), as scipy does: exact formulas at the
/// ends (Ruben–Gambino), the Durbin matrix (Marsaglia, Tsang &amp; Wang 2003) for small n·x², twice the exact one-sided
/// Smirnov probability (Birnbaum–Tingey sum) in the upper tail, and the Pelz–Good asymptotic series for large n.
/// Where scipy uses Pomeranz's recursion (n ≤ 140, 0.754693 &lt; n·x² ≤ 4) this uses the Durbin matrix too: both are
/// exact and agree to 1.5e-14 there.
/// </summary>
internal static class KolmogorovDistribution
{
    public static double Survival(int n, double x)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (x >= 1)
        {
            return 0;
        }

        if (x <= 0)
        {
            return 1;
        }

        var t = n * x;
        if (t <= 1)
        {
            // Ruben–Gambino: for 1/(2n) < x ≤ 1/n, P(D_n < x) = n!/nⁿ · (2t − 1)ⁿ.
            if (t <= 0.5)
            {
                return 1;
            }

            var cdf = 1.0;
            for (var i = 1; i <= n; i++)
            {
                cdf *= i * (1.0 / n) * (2 * t - 1);
            }

            return Clip(1 - cdf);
        }

        if (t >= n - 1)
        {
            return Clip(2 * Math.Pow(1 - x, n));
        }

        if (x >= 0.5)
        {
            return Clip(2 * Smirnov(n, x));
        }

        var nxx = t * x;
        if (n <= 140)
        {
            return Clip(nxx <= 4 ? 1 - DurbinCdf(n, x) : 2 * Smirnov(n, x));
        }

        if (nxx >= 370)
        {
            return 0;
        }

        if (nxx >= 2.2)
        {
            return Clip(2 * Smirnov(n, x));
        }

        return Clip(1 - (n <= 100_000 && n * Math.Pow(x, 1.5) <= 1.4 ? DurbinCdf(n, x) : PelzGoodCdf(n, x)));
    }

    /// <summary>
    /// Exact one-sided P(D_n⁺ ≥ x) by the Birnbaum–Tingey sum
    /// x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (x + v/n)^{v−1} (1 − x − v/n)^{n−v}; every term is positive, so the sum is
    /// stable, and each is evaluated in logs (binomials through MathNet's log-gamma).
    /// </summary>
    internal static double Smirnov(int n, double x)
    {
        var last = (int)Math.Floor(n * (1 - x));
        var logFactorialN = SpecialFunctions.GammaLn(n + 1.0);
        var sum = 0.0;
        for (var v = 0; v <= last; v++)
        {
            var a = x + (double)v / n;
            var b = 1 - a;
            if (b <= 0)
            {
                continue;
            }

            var logTerm = logFactorialN - SpecialFunctions.GammaLn(v + 1.0) - SpecialFunctions.GammaLn(n - v + 1.0)
                + (v - 1) * Math.Log(a) + (n - v) * Math.Log(b);
            sum += Math.Exp(logTerm);
        }

        return sum * x;
    }

    /// <summary>
    /// P(D_n &lt; d) by Durbin's matrix in the form of Marsaglia, Tsang &amp; Wang, "Evaluating Kolmogorov's
    /// Distribution" (J. Stat. Softw. 8(18), 2003): with k = ⌈nd⌉, h = k − nd and the (2k−1)² matrix H, the
    /// probability is n!/nⁿ · (Hⁿ)[k−1, k−1]; powers are rescaled by 10¹⁴⁰ to stay in range.
    /// </summary>
    internal static double DurbinCdf(int n, double d)
    {
        var k = (int)Math.Ceiling(n * d);
        var h = k - n * d;
        var m = 2 * k - 1;
        var matrix = Matrix<double>.Build.Dense(m, m, (i, j) => i - j + 1 >= 0 ? 1 / SpecialFunctions.Factorial(i - j + 1) : 0);
        for (var i = 0; i < m; i++)
        {
            matrix[i, 0] -= Math.Pow(h, i + 1) / SpecialFunctions.Factorial(i + 1);
            matrix[m - 1, i] -= Math.Pow(h, m - i) / SpecialFunctions.Factorial(m - i);
        }

        if (2 * h - 1 > 0)
        {
            matrix[m - 1, 0] += Math.Pow(2 * h - 1, m) / SpecialFunctions.Factorial(m);
        }

        var (power, exponent) = Power(matrix, n, k - 1);
        var p = power[k - 1, k - 1];
        for (var i = 1; i <= n; i++)
        {
            p = p * i / n;
            if (p < 1e-140)
            {
                p *= 1e140;
                exponent -= 140;
            }
        }

        return p * Math.Pow(10, exponent);
    }

    // Hⁿ by repeated squaring; returns (M, e) with Hⁿ = M · 10^e.
    private static (Matrix<double> Power, int Exponent) Power(Matrix<double> matrix, int n, int center)
    {
        if (n == 1)
        {
            return (matrix, 0);
        }

        var (half, exponent) = Power(matrix, n / 2, center);
        var result = half * half;
        exponent *= 2;
        if (n % 2 == 1)
        {
            result *= matrix;
        }

        if (result[center, center] > 1e140)
        {
            result /= 1e140;
            exponent += 140;
        }

        return (result, exponent);
    }

    /// <summary>
    /// Pelz &amp; Good's (1976) expansion P(D_n ≤ x) ≈ K₀(z) + K₁(z)/√n + K₂(z)/n + K₃(z)/n^{3/2}, z = x√n, in the
    /// theta-function form that converges fast for small z (Simard &amp; L'Ecuyer 2011, section 2.3).
    /// </summary>
    internal static double PelzGoodCdf(int n, double x)
    {
        var z = Math.Sqrt(n) * x;
        var z2 = z * z;
        if (-Math.PI * Math.PI / 8 / z2 < -708)
        {
            return 0;
        }

        double pi2 = Math.PI * Math.PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
        double z4 = z2 * z2, z6 = z4 * z2;
        var terms = (int)Math.Ceiling(16 * z / Math.PI);
        double k0 = 0, k1 = 0, k2 = 0, k3 = 0;
        for (var k = 1; k <= terms; k++)
        {
            // Odd terms: u = (k − ½)², weight exp(−π²u/(2z²)).
            var u = (k - 0.5) * (k - 0.5);
            var e = Math.Exp(-pi2 * u / (2 * z2));
            k0 += e;
            k1 += (pi2 * u - z2) * e;
            k2 += (6 * z6 + 2 * z4 + pi2 * (2 * z4 - 5 * z2) * u + pi4 * (1 - 2 * z2) * u * u) * e;
            k3 += (-30 * z6 - 90 * z6 * z2 + pi2 * (135 * z4 - 96 * z6) * u + pi4 * (212 * z4 - 60 * z2) * u * u + pi6 * (5 - 30 * z2) * u * u * u) * e;
        }

        double k2Even = 0, k3Even = 0;
        for (var k = 1; k <= terms; k++)
        {
            // Even terms: weight exp(−π²k²/(2z²)).
            double kk = (double)k * k, e = Math.Exp(-pi2 * kk / (2 * z2));
            k2Even += kk * e;
            k3Even += (3 * z2 - pi2 * kk) * kk * e;
        }

        var root = Math.Sqrt(2 * Math.PI);
        var p0 = root / z * k0;
        var p1 = root / (6 * z4) * k1;
        var p2 = root / (72 * z6 * z) * k2 - pi2 * root / (36 * z2 * z) * k2Even;
        var p3 = root / (6480 * z6 * z4) * k3 + pi2 * root / (216 * z6) * k3Even;
        return p0 + p1 / Math.Sqrt(n) + p2 / n + p3 / (n * Math.Sqrt(n));
    }

    private static double Clip(double p) => Math.Clamp(p, 0, 1);
}
