#!/usr/bin/env python3
"""Side by side with scikit-learn and XGBoost, through the CLI contract, on the same held-out rows.

For each dataset and seed: a seeded 80/20 split (stratified for classification) into train.csv and test.csv;
ours = `mllifecycle train train.csv --label L --model M --json` then `mllifecycle predict M --input test.csv`
(the label column removed); the peers train on the same train.csv with the usual preprocessing (median / mode
imputation, one-hot encoding, a date as its day number, year, month and day of week) and predict the same test rows. All scored by scikit-learn.

Usage: python3 bench/peers.py <cli> <out-folder> <seeds> <dataset> [<dataset> ...]
  <cli>      the built CLI, e.g. src/MlLifecycle.Local/bin/Release/net10.0/mllifecycle
  <dataset>  path.csv:label, or sklearn:iris|wine|breast_cancer|digits|diabetes (bundled with scikit-learn)
Needs the Debian packages python3-sklearn and python3-xgboost. Prints a Markdown table; writes results.json.
"""
import json
import pathlib
import re
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import xgboost
from sklearn import datasets, metrics
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler

MISSING = ["?", "", "NA", "N/A", "null", "NULL", "NaN", "nan"]


def load(spec):
    if spec.startswith("sklearn:"):
        name = spec.split(":", 1)[1]
        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        frame = bunch.frame.copy()
        if name != "diabetes":
            frame["target"] = [str(bunch.target_names[t]) for t in bunch.target]
        return name, frame, "target"
    path, label = spec.rsplit(":", 1)
    return pathlib.Path(path).stem, pd.read_csv(path, na_values=MISSING, keep_default_na=False), label


def is_classification(y):
    if y.dtype == object:
        return True
    values = y.dropna().unique()
    return len(values) <= 10 and np.all(np.equal(np.mod(values, 1), 0))


def dates(values):
    return pd.to_datetime(values, errors="coerce")


def peer_features(train, test):
    """A date column becomes its day number, year, month and day of week; everything else as read."""
    train, test = train.copy(), test.copy()
    for column in list(train.columns):
        if train[column].dtype == object and dates(train[column]).notna().mean() > 0.9:
            for frame in (train, test):
                parsed = dates(frame.pop(column))
                frame[f"{column}_days"] = (parsed - pd.Timestamp("1970-01-01")).dt.days
                frame[f"{column}_year"], frame[f"{column}_month"], frame[f"{column}_dow"] = parsed.dt.year, parsed.dt.month, parsed.dt.dayofweek
    categorical = [c for c in train.columns if train[c].dtype == object]
    numeric = [c for c in train.columns if c not in categorical]
    return train, test, numeric, categorical


def preprocess(numeric, categorical, scale):
    num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()) if scale else SimpleImputer(strategy="median")
    cat = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False))
    return ColumnTransformer([("num", num, numeric), ("cat", cat, categorical)])


def peers(x_train, y_train, x_test, classification, seed):
    x_train, x_test, numeric, categorical = peer_features(x_train, x_test)
    out = {}
    if classification:
        encoder = LabelEncoder().fit(y_train)
        models = {
            "sklearn HGB": HistGradientBoostingClassifier(random_state=seed),
            "XGBoost": xgboost.XGBClassifier(random_state=seed, n_jobs=2, verbosity=0),
            "sklearn logistic": LogisticRegression(max_iter=2000),
        }
        for name, model in models.items():
            pipe = make_pipeline(preprocess(numeric, categorical, name.endswith("logistic")), model)
            pipe.fit(x_train, encoder.transform(y_train))
            out[name] = (encoder.inverse_transform(pipe.predict(x_test)), pipe.predict_proba(x_test), list(encoder.classes_))
    else:
        models = {
            "sklearn HGB": HistGradientBoostingRegressor(random_state=seed),
            "XGBoost": xgboost.XGBRegressor(random_state=seed, n_jobs=2, verbosity=0),
            "sklearn ridge": RidgeCV(),
        }
        for name, model in models.items():
            pipe = make_pipeline(preprocess(numeric, categorical, name.endswith("ridge")), model)
            pipe.fit(x_train, y_train)
            out[name] = (pipe.predict(x_test), None, None)
    return out


def score(y_true, predicted, proba, classes, classification):
    if not classification:
        y, p = np.asarray(y_true, float), np.asarray(predicted, float)
        return {"rmse": metrics.mean_squared_error(y, p) ** 0.5, "r2": metrics.r2_score(y, p)}
    y = [str(v) for v in y_true]
    result = {
        "accuracy": metrics.accuracy_score(y, [str(v) for v in predicted]),
        "macroF1": metrics.f1_score(y, [str(v) for v in predicted], average="macro"),
    }
    if proba is not None:
        proba = np.clip(np.asarray(proba, float), 1e-15, 1)
        proba = proba / proba.sum(axis=1, keepdims=True)
        result["logLoss"] = metrics.log_loss(y, proba, labels=[str(c) for c in classes])
        if len(classes) == 2:
            result["auc"] = metrics.roc_auc_score([v == str(classes[1]) for v in y], proba[:, 1])
    return result


def ours(cli, folder, model, label, train, test, classification):
    train_csv, test_csv, out_csv = folder / "train.csv", folder / "test.csv", folder / "ours.csv"
    train.to_csv(train_csv, index=False)
    test.drop(columns=[label]).to_csv(test_csv, index=False)
    started = time.time()
    run = subprocess.run([cli, "train", str(train_csv), "--label", label, "--model", model, "--json"], capture_output=True, text=True)
    seconds = time.time() - started
    if run.returncode != 0:
        return {"error": (run.stderr.strip().splitlines() or ["?"])[-1]}, None
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    if summary.get("status") != "Succeeded":
        return {"error": f"run {summary.get('status')}: {summary.get('message', '')}"}, None
    predict = subprocess.run([cli, "predict", model, "--input", str(test_csv), "--output", str(out_csv)], capture_output=True, text=True)
    if predict.returncode != 0:
        return {"error": (predict.stderr.strip().splitlines() or ["?"])[-1]}, None
    out = pd.read_csv(out_csv, keep_default_na=False, dtype=str)
    info = {"seconds": round(seconds, 1), "trainer": trainer_of(summary)}
    if not classification:
        return info, (out["Score"].astype(float).to_numpy(), None, None)
    classes = sorted({str(c) for c in train[label]})
    proba = np.array([[float(r.get(f"Probability_{c}", 0) or 0) for c in classes] for r in out.to_dict("records")])
    return info, (out["PredictedLabel"].to_numpy(), proba, classes)


def trainer_of(summary):
    selection = summary.get("selection") or {}
    return selection.get("winner") or summary.get("trainer") or "?"


def main():
    cli, root, seeds, specs = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    root.mkdir(parents=True, exist_ok=True)
    results = []
    stamp = time.strftime("%H%M%S")
    for spec in specs:
        name, frame, label = load(spec)
        frame = frame[frame[label].notna()]
        classification = is_classification(frame[label])
        if classification:
            frame[label] = frame[label].astype(str)
        for seed in range(seeds):
            folder = root / f"{name}-{seed}"
            folder.mkdir(exist_ok=True)
            train, test = train_test_split(frame, test_size=0.2, random_state=seed, stratify=frame[label] if classification else None)
            model = re.sub(r"[^a-z0-9-]", "-", f"peers-{name}-{seed}-{stamp}".lower())
            info, predicted = ours(cli, folder, model, label, train, test, classification)
            row = {"dataset": name, "rows": len(frame), "seed": seed, "task": "classification" if classification else "regression", "ours": info}
            if predicted is not None:
                row["ours"].update(score(test[label], *predicted, classification))
            for peer, result in peers(train.drop(columns=[label]), train[label], test.drop(columns=[label]), classification, seed).items():
                row[peer] = score(test[label], *result, classification)
            results.append(row)
            print(json.dumps(row), flush=True)
    (root / "results.json").write_text(json.dumps(results, indent=1))
    table(results)


def table(results):
    print("\n| dataset | rows | metric | ours | sklearn HGB | XGBoost | sklearn linear | our trainers | our seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in dict.fromkeys(r["dataset"] for r in results):
        rows = [r for r in results if r["dataset"] == name]
        classification = rows[0]["task"] == "classification"
        linear = "sklearn logistic" if classification else "sklearn ridge"
        for metric in (["accuracy", "macroF1", "logLoss", "auc"] if classification else ["rmse", "r2"]):
            cells = []
            for key in ["ours", "sklearn HGB", "XGBoost", linear]:
                values = [r[key][metric] for r in rows if metric in r[key]]
                cells.append(f"{np.mean(values):.4f}" if len(values) == len(rows) else ("error" if key == "ours" else "—"))
            if all(c == "—" for c in cells[1:]):
                continue
            trainers = ", ".join(str(r["ours"].get("trainer", r["ours"].get("error"))) for r in rows)
            seconds = np.mean([r["ours"]["seconds"] for r in rows if "seconds" in r["ours"]] or [float("nan")])
            print(f"| {name} | {rows[0]['rows']} | {metric} | " + " | ".join(cells) + f" | {trainers} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
