#!/usr/bin/env python3
"""Recomputes the metrics exported by `MlLifecycle.Bench metrics` with scikit-learn and prints both side by side.

Usage: python3 bench/compare_sklearn.py <folder>   (needs the Debian package python3-sklearn)
Exit code 1 when any metric differs by more than 1e-6.
"""
import csv
import json
import pathlib
import sys

import numpy as np
from sklearn import metrics as m


def compare(name, ours, task, positive, classes, rows):
    actual = [r["actual"] for r in rows]
    predicted = [r["predicted"] for r in rows]
    theirs = {}
    if task == "Regression":
        y, p = np.array(actual, float), np.array(predicted, float)
        theirs["rmse"] = m.mean_squared_error(y, p) ** 0.5
        theirs["mae"] = m.mean_absolute_error(y, p)
        theirs["r2"] = m.r2_score(y, p)
        nz = np.abs(y) > 1e-12
        theirs["mape"] = m.mean_absolute_percentage_error(y[nz], p[nz])
    else:
        proba = np.array([[float(r[f"p:{c}"]) for c in classes] for r in rows])
        theirs["accuracy"] = m.accuracy_score(actual, predicted)
        theirs["balancedAccuracy"] = m.balanced_accuracy_score(actual, predicted)
        theirs["macroF1"] = m.f1_score(actual, predicted, average="macro", labels=classes, zero_division=0)
        theirs["microF1"] = m.f1_score(actual, predicted, average="micro", labels=classes, zero_division=0)
        theirs["weightedF1"] = m.f1_score(actual, predicted, average="weighted", labels=classes, zero_division=0)
        theirs["logLoss"] = m.log_loss(actual, np.clip(proba, 1e-15, 1), labels=classes)
        if positive is not None:
            y = np.array([a == positive for a in actual])
            score = proba[:, classes.index(positive)]
            theirs["precision"] = m.precision_score(actual, predicted, pos_label=positive, zero_division=0)
            theirs["recall"] = m.recall_score(actual, predicted, pos_label=positive, zero_division=0)
            theirs["f1"] = m.f1_score(actual, predicted, pos_label=positive, zero_division=0)
            theirs["auc"] = m.roc_auc_score(y, score)
            theirs["aucPr"] = m.average_precision_score(y, score)
    worst = 0.0
    print(f"{name} ({task}, {len(rows)} test rows)")
    for key, value in theirs.items():
        diff = abs(ours[key] - value)
        worst = max(worst, diff)
        print(f"  {key:18} ours {ours[key]:.10f}  sklearn {value:.10f}  |diff| {diff:.2e}")
    return worst


def main(folder):
    worst = 0.0
    for path in sorted(pathlib.Path(folder).glob("*.metrics.json")):
        name = path.name[: -len(".metrics.json")]
        exported = json.loads(path.read_text())
        with open(path.with_name(f"{name}.predictions.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        # log-loss clips probabilities like ours; the model's probabilities keep float precision (~1e-7).
        worst = max(worst, compare(name, exported["metrics"], exported["task"], exported.get("positive"), exported.get("classes") or [], rows))
    print(f"largest |difference|: {worst:.2e}")
    return 0 if worst <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
