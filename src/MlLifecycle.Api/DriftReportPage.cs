using System.Globalization;
using System.Text;
using System.Text.Json;
using static MlLifecycle.Api.HtmlReport;

namespace MlLifecycle.Api;

/// <summary>
/// A drift check's report: one self-contained HTML page (inline SVG, no script) from the check's stored JSON — the
/// verdict, each feature's scores against its thresholds, and each feature's distribution, baseline against current,
/// over the bins its PSI compares; then the predictions' drift and the realized quality.
/// </summary>
public static class DriftReportPage
{
    /// <summary>Bins drawn per feature; a categorical feature with more shows its largest ones.</summary>
    public const int MaxBins = 25;

    public static string Render(JsonElement report)
    {
        var model = Text(report, "model");
        var id = Text(report, "checkId");
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(model)} drift check {E(id)}</title><style>{Style}.ref{{fill:#9aa4b2}}.cur{{fill:#2e6bd1}}td{{white-space:nowrap}}</style></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>{E(model)} v{E(Text(report, "version"))} — drift check {E(id)}</h1>");
        var source = report.TryGetProperty("window", out var window) && window.ValueKind == JsonValueKind.Object
            ? $"prediction log {When(window, "from")} – {When(window, "to")}"
            : $"data {E(Text(report, "data"))}";
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{source} · {E(Text(report, "rows"))} rows · checked {When(report, "checkedAt")} · <code>{E(Text(report, "report"))}</code></p>");

        var alert = Text(report, "alert") == "True";
        var features = Items(report, "features").ToList();
        var tested = features.Count(f => Text(f, "test") != "none");
        var drifted = features.Count(f => Text(f, "drifted") == "True");
        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"verdict\">Verdict</h2><p>alert: <b class=\"{(alert ? "bad" : "ok")}\">{(alert ? "yes" : "no")}</b> · features: <b class=\"{(Text(report, "drifted") == "True" ? "bad" : "ok")}\">{(Text(report, "drifted") == "True" ? "drifted" : "not drifted")}</b> ({drifted} of {tested} tested drifted, share {F(report, "share")} against the threshold {F(report, "shareThreshold")})");
        if (report.TryGetProperty("prediction", out var prediction) && prediction.ValueKind == JsonValueKind.Object)
        {
            html.Append(CultureInfo.InvariantCulture, $" · predictions: {(Text(prediction, "drifted") == "True" ? "<b class=\"bad\">drifted</b>" : "not drifted")}");
        }

        var concept = report.TryGetProperty("concept", out var c) ? c : default;
        html.Append(CultureInfo.InvariantCulture, $" · concept: <b class=\"{(Text(concept, "state") == "degraded" ? "bad" : "ok")}\">{E(Text(concept, "state"))}</b></p>");

        html.Append("<h2 id=\"scores\">Scores against thresholds</h2>");
        Table(html, ["feature", "test", "p (adjusted) < α", "distance ≥ floor", "PSI ≥ floor", "JS", "Wasserstein", "missing (baseline)", "out of range / unseen", "drifted"], features.Append(prediction).Where(f => f.ValueKind == JsonValueKind.Object).Select(Scores));

        html.Append("<h2 id=\"distributions\">Distributions, baseline against current</h2><p class=\"muted\"><svg width=\"10\" height=\"10\"><rect class=\"ref\" width=\"10\" height=\"10\"/></svg> baseline (training data) <svg width=\"10\" height=\"10\"><rect class=\"cur\" width=\"10\" height=\"10\"/></svg> current · share of values per bin (PSI's bins: the baseline's deciles for numbers, its categories for categories)</p>");
        foreach (var feature in features.Append(prediction).Where(f => f.ValueKind == JsonValueKind.Object))
        {
            var name = Text(feature, "feature");
            html.Append(CultureInfo.InvariantCulture, $"<h3>{E(name)} {(Text(feature, "drifted") == "True" ? "<b class=\"bad\">drifted</b>" : "")}</h3>");
            html.Append(feature.TryGetProperty("bins", out var bins) && bins.ValueKind == JsonValueKind.Object
                ? Paired($"dist-{Slug(name)}", bins)
                : $"<p class=\"muted\">{E(Text(feature, "note") is { Length: > 0 } note ? note : "no distribution kept")}</p>");
        }

        html.Append("<h2 id=\"concept\">Realized quality</h2>");
        html.Append(CultureInfo.InvariantCulture, $"<p>{E(Text(concept, "labelled"))} labelled rows (at least {E(Text(concept, "minLabels"))} needed) · {E(Text(concept, "metric"))}: baseline {F(concept, "baseline")}, current {F(concept, "current")} (± {F(concept, "standardError")}), tolerance {F(concept, "tolerance")} · {E(Text(concept, "unmatched"))} labels unmatched</p>");
        return html.Append("</body></html>").ToString();
    }

    private static string[] Scores(JsonElement f)
    {
        static string Against(string value, string floor, bool met) => value.Length == 0 || floor.Length == 0 ? value : $"{value} {(met ? "≥" : "<")} {floor}";
        static double? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        var (distance, psi, pValue) = (Number(f, "distance"), Number(f, "psi"), Number(f, "pValue"));
        return
        [
            E(Text(f, "feature")),
            E(Text(f, "test")) + (Text(f, "note") is { Length: > 0 } note ? $" <span class=\"muted\">({E(note)})</span>" : ""),
            pValue is { } q ? $"{F(f, "pValue")} {(q < Number(f, "threshold") ? "<" : "≥")} {F(f, "threshold")}" : "",
            Against(F(f, "distance"), F(f, "minDistance"), distance >= Number(f, "minDistance")),
            Against(F(f, "psi"), F(f, "minPsi"), psi >= Number(f, "minPsi")),
            F(f, "jensenShannon"),
            F(f, "wasserstein"),
            $"{F(f, "missingRate")} ({F(f, "referenceMissingRate")})",
            F(f, "outOfRangeShare") + F(f, "unseenShare"),
            Text(f, "drifted") == "True" ? "<b class=\"bad\">yes</b>" : "no",
        ];
    }

    /// <summary>Each bin as a row of two bars, baseline over current, both on one scale.</summary>
    private static string Paired(string id, JsonElement bins)
    {
        var labels = Items(bins, "labels").Select(l => l.ToString()).ToList();
        var reference = Items(bins, "reference").Select(Share).ToList();
        var current = Items(bins, "current").Select(Share).ToList();
        if (labels.Count == 0 || reference.Count != labels.Count || current.Count != labels.Count)
        {
            return "<p class=\"muted\">no distribution kept</p>";
        }

        var shown = Enumerable.Range(0, labels.Count).OrderByDescending(i => labels.Count <= MaxBins ? 0 : Math.Max(reference[i], current[i])).Take(MaxBins).Order().ToList();
        const int width = 640, label = 160, row = 22;
        var max = Math.Max(1e-9, shown.Max(i => Math.Max(reference[i], current[i])));
        var scale = (width - label - 100) / max; // room for "39 % → 31 %" after the longest bar
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" class=\"distribution\" width=\"{width}\" height=\"{(shown.Count * row) + 6}\" role=\"img\">");
        for (var k = 0; k < shown.Count; k++)
        {
            var i = shown[k];
            var y = (k * row) + 3;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 14}\">{E(labels[i])}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"ref\" x=\"{label}\" y=\"{y}\" width=\"{reference[i] * scale:F1}\" height=\"8\"><title>baseline {reference[i]:P1}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"cur\" x=\"{label}\" y=\"{y + 8}\" width=\"{current[i] * scale:F1}\" height=\"8\"><title>current {current[i]:P1}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{label + (Math.Max(reference[i], current[i]) * scale) + 6:F1}\" y=\"{y + 14}\">{reference[i]:P0} → {current[i]:P0}</text>");
        }

        svg.Append("</svg>");
        return labels.Count > shown.Count ? $"{svg}<p class=\"muted\">the {shown.Count} largest of {labels.Count} bins</p>" : svg.ToString();
    }

    /// <summary>A share as stored (a number; NaN or anything else as 0).</summary>
    private static double Share(JsonElement value) => value.ValueKind == JsonValueKind.Number && value.GetDouble() is var v && double.IsFinite(v) ? v : 0;

    private static string Slug(string name) => string.Concat(name.Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '-'));
}
