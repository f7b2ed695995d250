using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace MlLifecycle.Api;

/// <summary>The pieces the HTML reports are made of: a style sheet, tables, and charts drawn as inline SVG (no script, nothing fetched).</summary>
internal static class HtmlReport
{
    internal const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2430;max-width:1000px}
        h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #dde1e7}
        table{border-collapse:collapse}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #eceff3;font-variant-numeric:tabular-nums}
        .muted{color:#6b7585}.ok{color:#067647}.bad{color:#b42318}svg text{font-size:11px;fill:#3b4452}
        """;


    /// <summary>Horizontal bars with an optional ± error whisker, as inline SVG.</summary>
    internal static string Bars(string id, IReadOnlyList<(string Label, double Value, double Error)> bars)
    {
        if (bars.Count == 0)
        {
            return "<p class=\"muted\">nothing to chart</p>";
        }

        const int width = 640, label = 200, row = 22;
        var max = bars.Max(b => Math.Abs(b.Value) + b.Error);
        var scale = max > 0 ? (width - label - 60) / max : 0;
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" width=\"{width}\" height=\"{(bars.Count * row) + 6}\" role=\"img\">");
        for (var i = 0; i < bars.Count; i++)
        {
            var (name, value, error) = bars[i];
            var y = (i * row) + 3;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 14}\">{E(name)}</text><rect x=\"{label}\" y=\"{y}\" width=\"{Math.Abs(value) * scale:F1}\" height=\"{row - 6}\" fill=\"{(value < 0 ? "#c23c5e" : "#2e6bd1")}\"/>");
            if (error > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{label + (Math.Max(0, Math.Abs(value) - error) * scale):F1}\" x2=\"{label + ((Math.Abs(value) + error) * scale):F1}\" y1=\"{y + 8}\" y2=\"{y + 8}\" stroke=\"#1d2430\"/>");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{label + ((Math.Abs(value) + error) * scale) + 6:F1}\" y=\"{y + 14}\">{value:G4}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Points on two axes with their ranges printed, as inline SVG.</summary>
    internal static string Scatter(string id, IReadOnlyList<(double X, double Y)> points, string xLabel, string yLabel)
    {
        const int width = 640, height = 200, pad = 36;
        var (x0, x1, y0, y1) = (points.Min(p => p.X), points.Max(p => p.X), points.Min(p => p.Y), points.Max(p => p.Y));
        double Sx(double x) => pad + ((x - x0) / (x1 - x0 is 0 ? 1 : x1 - x0) * (width - (2 * pad)));
        double Sy(double y) => height - pad - ((y - y0) / (y1 - y0 is 0 ? 1 : y1 - y0) * (height - (2 * pad)));
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" width=\"{width}\" height=\"{height}\" role=\"img\"><line x1=\"{pad}\" y1=\"{height - pad}\" x2=\"{width - pad}\" y2=\"{height - pad}\" stroke=\"#ccd\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{height - pad}\" stroke=\"#ccd\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{pad}\" y=\"{height - 8}\">{E(xLabel)} {x0:G4} – {x1:G4}</text><text x=\"4\" y=\"{pad - 10}\">{E(yLabel)} {y0:G4} – {y1:G4}</text>");
        svg.AppendJoin("", points.Select(p => string.Create(CultureInfo.InvariantCulture, $"<circle cx=\"{Sx(p.X):F1}\" cy=\"{Sy(p.Y):F1}\" r=\"4\" fill=\"#2e6bd1\"><title>{p.X:G4}: {p.Y:G6}</title></circle>")));
        return svg.Append("</svg>").ToString();
    }

    /// <summary>A curve in the unit square (both axes 0–1) as an SVG polyline, with the chance diagonal when asked.</summary>
    internal static string Curve(string id, IReadOnlyList<(double X, double Y)> points, string xLabel, string yLabel, bool diagonal)
    {
        const int size = 260, pad = 30;
        static string At(double v, bool flip) => (flip ? pad + ((1 - v) * (size - (2 * pad))) : pad + (v * (size - (2 * pad)))).ToString("F1", CultureInfo.InvariantCulture);
        var line = string.Join(" ", points.Select(p => $"{At(p.X, false)},{At(p.Y, true)}"));
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" width=\"{size}\" height=\"{size}\" role=\"img\"><rect x=\"{pad}\" y=\"{pad}\" width=\"{size - (2 * pad)}\" height=\"{size - (2 * pad)}\" fill=\"none\" stroke=\"#ccd\"/>");
        if (diagonal)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{At(0, false)}\" y1=\"{At(0, true)}\" x2=\"{At(1, false)}\" y2=\"{At(1, true)}\" stroke=\"#ccd\" stroke-dasharray=\"4\"/>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"#2e6bd1\" stroke-width=\"2\" points=\"{line}\"/><text x=\"{pad}\" y=\"{size - 8}\">{E(xLabel)}</text><text x=\"4\" y=\"{pad - 10}\">{E(yLabel)}</text>");
        return svg.Append("</svg>").ToString();
    }

    internal static List<(double X, double Y)> Points(JsonElement element, string name) =>
        [.. Items(element, name).Select(p => (p[0].GetDouble(), p[1].GetDouble()))];

    internal static void Table(StringBuilder html, IReadOnlyList<string> headers, IEnumerable<string[]> rows)
    {
        html.Append("<table><tr>").AppendJoin("", headers.Select(h => $"<th>{E(h)}</th>")).Append("</tr>");
        foreach (var row in rows)
        {
            html.Append("<tr>").AppendJoin("", row.Select(c => $"<td>{c}</td>")).Append("</tr>");
        }

        html.Append("</table>");
    }

    internal static IEnumerable<JsonElement> Items(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    internal static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() ?? "",
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            _ => value.GetRawText(),
        } : "";

    internal static string F(JsonElement element, string name) => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? F(value) : "";

    /// <summary>A number to 4 decimals, or in scientific notation when it is not zero there (p-values such as 3.2E-12).</summary>
    internal static string F(JsonElement value) => value.ValueKind != JsonValueKind.Number ? E(value.ToString())
        : value.GetDouble() is var v && v != 0 && Math.Abs(v) < 0.00005 ? v.ToString("0.##E+0", CultureInfo.InvariantCulture)
        : v.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>An ISO 8601 time to the second, in UTC.</summary>
    internal static string When(JsonElement element, string name) =>
        DateTimeOffset.TryParse(Text(element, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : E(Text(element, name));

    internal static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
