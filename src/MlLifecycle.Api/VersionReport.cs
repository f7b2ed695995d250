using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MlLifecycle.Storage;
using static MlLifecycle.Api.HtmlReport;

namespace MlLifecycle.Api;

/// <summary>
/// A version's report: one self-contained HTML page (inline SVG, no script, nothing fetched) from the version's stored
/// <c>manifest.json</c>, <c>evaluation.json</c> and <c>quality.json</c> and its run's tuning trials — data quality,
/// cross-validation per trainer, tuning trials, test metrics, confusion matrix, permutation importance, slices, the
/// gate and success criteria, and the ensemble weights.
/// </summary>
public static class VersionReport
{
    public static string Render(JsonElement manifest, JsonElement? evaluation, JsonElement? quality, IReadOnlyList<TuningTrialRecord> trials)
    {
        var model = Text(manifest, "model");
        var version = Text(manifest, "version");
        var metric = Text(manifest, "primaryMetric");
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(model)} v{version} report</title><style>{HtmlReport.Style}</style></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>{E(model)} v{version} — {E(Text(manifest, "trainer"))} ({E(Text(manifest, "task"))})</h1>");
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">run {E(Text(manifest, "runId"))} · created {E(Text(manifest, "createdAt"))} · seed {Text(manifest, "seed")} · data SHA-256 <code>{E(Text(manifest, "dataSha256"))}</code> · model SHA-256 <code>{E(Text(manifest, "artifactSha256"))}</code> · code {E(Text(manifest, "codeVersion"))}</p>");

        html.Append("<h2 id=\"gate\">Gate and success criteria</h2>");
        if (manifest.TryGetProperty("gate", out var gate))
        {
            var passed = gate.TryGetProperty("passed", out var p) && p.GetBoolean();
            html.Append(CultureInfo.InvariantCulture, $"<p>champion gate: <b class=\"{(passed ? "ok" : "bad")}\">{(passed ? "passed" : "failed")}</b> — {E(Text(gate, "reason"))}</p>");
        }

        Table(html, ["criterion", "threshold", "value", "passed"], Items(manifest, "successCriteria").Select(c => new[] { E(Text(c, "metric")), F(c, "threshold"), F(c, "value"), Text(c, "passed") == "True" ? "yes" : "<b class=\"bad\">no</b>" }));

        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"metrics\">Test metrics (primary: {E(metric)})</h2>");
        if (manifest.TryGetProperty("metrics", out var metrics) && metrics.TryGetProperty("test", out var test))
        {
            Table(html, ["metric", "value"], test.EnumerateObject().Select(m => new[] { m.Name == metric ? $"<b>{E(m.Name)}</b>" : E(m.Name), F(m.Value) }));
        }

        if (evaluation is { } ev && ev.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object)
        {
            html.Append("<h2 id=\"confusion\">Confusion matrix (test split; rows actual, columns predicted)</h2>");
            var classes = detail.GetProperty("classes").EnumerateArray().Select(c => c.GetString() ?? "").ToList();
            var matrix = detail.GetProperty("confusionMatrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToList();
            var max = Math.Max(1, matrix.SelectMany(r => r).DefaultIfEmpty(0).Max());
            html.Append("<table id=\"confusion-matrix\"><tr><th></th>").AppendJoin("", classes.Select(c => $"<th>{E(c)}</th>")).Append("</tr>");
            for (var i = 0; i < matrix.Count; i++)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(classes[i])}</th>");
                html.AppendJoin("", matrix[i].Select((v, j) => string.Create(CultureInfo.InvariantCulture, $"<td style=\"background:rgba({(i == j ? "46,158,107" : "194,60,94")},{0.08 + (0.8 * v / max):F2})\">{v}</td>")));
                html.Append("</tr>");
            }

            html.Append("</table>");
            Table(html, ["class", "precision", "recall", "F1", "support"], Items(detail, "perClass").Select(c => new[] { E(Text(c, "class")), F(c, "precision"), F(c, "recall"), F(c, "f1"), Text(c, "support") }));
        }

        if (evaluation is { } withCurves && withCurves.TryGetProperty("curves", out var curves) && curves.ValueKind == JsonValueKind.Object)
        {
            html.Append("<h2 id=\"curves\">ROC and precision–recall curves (test split)</h2>");
            html.Append(Curve("roc-chart", Points(curves, "roc"), "false-positive rate", "true-positive rate", diagonal: true));
            html.Append(Curve("pr-chart", Points(curves, "precisionRecall"), "recall", "precision", diagonal: false));
        }

        var winner = manifest.TryGetProperty("selection", out var selection) ? Text(selection, "winner") : "";
        var sample = selection.ValueKind == JsonValueKind.Object && selection.TryGetProperty("sampleRows", out var rows) && rows.ValueKind == JsonValueKind.Number
            ? string.Create(CultureInfo.InvariantCulture, $", on a stratified sample of {rows.GetInt32():N0} rows")
            : "";
        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"cv\">Cross-validation ({E(metric)}, mean ± std over folds{sample})</h2>");
        var cv = Items(selection, "trainers")
            .Where(t => t.TryGetProperty("metrics", out var m) && m.TryGetProperty(metric, out _))
            .Select(t => (Label: Text(t, "trainer") + (Text(t, "trainer") == winner ? " (selected)" : ""), Value: t.GetProperty("metrics").GetProperty(metric).GetProperty("mean").GetDouble(), Error: t.GetProperty("metrics").GetProperty(metric).GetProperty("std").GetDouble()))
            .ToList();
        html.Append(Bars("cv-chart", cv));

        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"trials\">Tuning trials ({trials.Count})</h2>");
        var scored = trials.Where(t => t.Score is { } s && s > double.MinValue).ToList();
        html.Append(scored.Count == 0 ? "<p class=\"muted\">no tuning in this run</p>" : Scatter("trial-chart", scored.Select(t => ((double)t.Id, t.Score!.Value)).ToList(), "trial", "validation score"));

        html.Append("<h2 id=\"ensemble\">Ensemble</h2>");
        if (manifest.TryGetProperty("ensemble", out var ensemble) && ensemble.ValueKind == JsonValueKind.Object)
        {
            var chosen = ensemble.TryGetProperty("chosen", out var c) && c.GetBoolean();
            html.Append(CultureInfo.InvariantCulture, $"<p>{(chosen ? "served" : "not served")}: {E(Text(ensemble, "reason"))}</p>");
            html.Append(Bars("ensemble-chart", Items(ensemble, "members").Select(m => (Text(m, "name"), m.GetProperty("weight").GetDouble(), 0.0)).ToList()));
        }
        else
        {
            html.Append("<p class=\"muted\">ensemble selection did not run</p>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"importance\">Permutation importance ({E(metric)} drop on the test split)</h2>");
        var importance = evaluation is { } e && e.TryGetProperty("permutationImportance", out _) ? Items(e, "permutationImportance") : Items(manifest, "permutationImportance");
        html.Append(Bars("importance-chart", importance.Take(20).Select(i => (Text(i, "feature"), i.GetProperty("drop").GetDouble(), i.GetProperty("std").GetDouble())).ToList()));

        if (evaluation is { } withSlices && Items(withSlices, "slices").ToList() is { Count: > 0 } slices)
        {
            html.Append("<h2 id=\"slices\">Sliced metrics (test split)</h2>");
            foreach (var slice in slices)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p>{E(Text(slice, "column"))}: largest gap in {E(Text(slice, "metric"))} {F(slice, "gap")}</p>");
                Table(html, ["value", "rows", Text(slice, "metric")], Items(slice, "groups").Select(g => new[] { E(Text(g, "value")), Text(g, "rows"), g.TryGetProperty("metrics", out var gm) && gm.TryGetProperty(Text(slice, "metric"), out var v) ? F(v) : "" }));
            }
        }

        html.Append("<h2 id=\"quality\">Data quality</h2>");
        if (quality is { } q)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{Text(q, "rows")} rows × {Text(q, "columns")} columns read; {Text(q, "duplicateRows")} duplicates, {Text(q, "rowsWithoutLabel")} without a label, {Text(q, "rowsDroppedForMissing")} dropped for missing values; {Text(q, "rowsAfterCleaning")} rows after cleaning.</p>");
            if (q.TryGetProperty("classCounts", out var counts) && counts.ValueKind == JsonValueKind.Object)
            {
                html.Append(Bars("class-chart", counts.EnumerateObject().Select(k => (k.Name, (double)k.Value.GetInt32(), 0.0)).ToList()));
            }

            Table(html, ["column", "kind", "missing", "distinct", "ignored"], Items(q, "columnStats").Select(c => new[] { E(Text(c, "name")), E(Text(c, "kind")), F(c, "missingFraction"), Text(c, "distinct"), E(Text(c, "ignored")) }));
            Table(html, ["severity", "code", "column", "message"], Items(q, "anomalies").Select(a => new[] { E(Text(a, "severity")), E(Text(a, "code")), E(Text(a, "column")), E(Text(a, "message")) }));
        }
        else
        {
            html.Append("<p class=\"muted\">no quality report stored with this version</p>");
        }

        return html.Append("</body></html>").ToString();
    }
}
