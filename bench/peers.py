#!/usr/bin/env python3
"""Side by side with scikit-learn and XGBoost, through the CLI contract, on the same held-out rows.

For each dataset and seed: a seeded 80/20 split (stratified for classification) into train.csv and test.csv;
ours = `mllifecycle train train.csv --label L --model M --json` then `mllifecycle predict M --input test.csv`
(the label column removed); the peers train on the same train.csv with the usual preprocessing (median / mode
imputation, one-hot encoding, a date as its day number, year, month and day of week, free text as TF-IDF) and predict
the same test rows. All scored by scikit-learn.

Usage: python3 bench/peers.py [--optuna N] <cli> <out-folder> <seeds> <dataset> [<dataset> ...]
  <cli>       the built CLI, e.g. src/MlLifecycle.Local/bin/Release/net10.0/mllifecycle
  <dataset>   path.csv:label, or sklearn:iris|wine|breast_cancer|digits|diabetes (bundled with scikit-learn)
  --optuna N  also tune HistGradientBoosting and XGBoost with Optuna's TPE (seeded with the split's seed), N trials
              each, scored by 5-fold cross-validation on train.csv (stratified for classification) by accuracy / R²;
              the best is refit on all of train.csv and scored on test.csv ("HGB optuna", "XGB optuna"). Default off.
Needs the Debian packages python3-sklearn and python3-xgboost (and python3-optuna for --optuna). Prints a Markdown
table; writes results.json.
"""
import argparse
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
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
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


def is_text(values):
    """Free text by the CLI's rule: at least 10 values, 3 words a value on average, more than half of them distinct."""
    present = values.dropna().astype(str)
    return len(present) >= 10 and (present.str.count(" ") + 1).sum() >= 3 * len(present) and present.nunique() > 0.5 * len(present)


def peer_features(train, test):
    """A date column becomes its day number, year, month and day of week; free text (missing as empty) is kept for
    TF-IDF; everything else as read. Returns (train, test, numeric, categorical, text)."""
    train, test = train.copy(), test.copy()
    for column in list(train.columns):
        if train[column].dtype == object and dates(train[column]).notna().mean() > 0.9:
            for frame in (train, test):
                parsed = dates(frame.pop(column))
                frame[f"{column}_days"] = (parsed - pd.Timestamp("1970-01-01")).dt.days
                frame[f"{column}_year"], frame[f"{column}_month"], frame[f"{column}_dow"] = parsed.dt.year, parsed.dt.month, parsed.dt.dayofweek
    text = [c for c in train.columns if train[c].dtype == object and is_text(train[c])]
    for column in text:
        for frame in (train, test):
            frame[column] = frame[column].fillna("").astype(str)
    categorical = [c for c in train.columns if train[c].dtype == object and c not in text]
    numeric = [c for c in train.columns if c not in categorical and c not in text]
    return train, test, numeric, categorical, text


def preprocess(numeric, categorical, text, scale):
    num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()) if scale else SimpleImputer(strategy="median")
    cat = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False))
    words = [(f"text{i}", TfidfVectorizer(sublinear_tf=True, min_df=2, max_features=2000), c) for i, c in enumerate(text)]
    # Dense output: HistGradientBoosting takes no sparse input.
    return ColumnTransformer([("num", num, numeric), ("cat", cat, categorical)] + words, sparse_threshold=0)


def model(name, classification, seed, params=None):
    """A peer with its defaults, or with the given hyperparameters (HGB and XGBoost only)."""
    params = params or {}
    if name == "sklearn HGB":
        kind = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        return kind(random_state=seed, **params)
    if name == "XGBoost":
        kind = xgboost.XGBClassifier if classification else xgboost.XGBRegressor
        return kind(random_state=seed, n_jobs=2, verbosity=0, **params)
    return LogisticRegression(max_iter=2000) if classification else RidgeCV()


def fit_predict(name, params, x_train, y_train, x_test, features, classification, seed):
    """(predicted labels or values, class probabilities, classes); the classes are those of y_train."""
    linear = name in ("sklearn logistic", "sklearn ridge")
    pipe = make_pipeline(preprocess(*features, linear), model(name, classification, seed, params))
    if not classification:
        pipe.fit(x_train, y_train)
        return pipe.predict(x_test), None, None
    encoder = LabelEncoder().fit(y_train)
    pipe.fit(x_train, encoder.transform(y_train))
    return encoder.inverse_transform(pipe.predict(x_test)), pipe.predict_proba(x_test), list(encoder.classes_)


def peers(x_train, y_train, x_test, classification, seed):
    x_train, x_test, *features = peer_features(x_train, x_test)
    names = ["sklearn HGB", "XGBoost", "sklearn logistic" if classification else "sklearn ridge"]
    return {name: fit_predict(name, None, x_train, y_train, x_test, features, classification, seed) for name in names}


def search_space(name, trial, rows):
    """Optuna's hyperparameters for HGB or XGBoost; the leaf minimum is bounded by a tenth of a training fold."""
    leaf = max(2, min(100, rows // 10))
    if name == "sklearn HGB":
        return {
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "max_iter": trial.suggest_int("max_iter", 50, 500, log=True),
            "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 4, 128, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 12),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, leaf, log=True),
            "l2_regularization": trial.suggest_float("l2_regularization", 1e-4, 10, log=True),
        }
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "n_estimators": trial.suggest_int("n_estimators", 50, 500, log=True),
        "max_depth": trial.suggest_int("max_depth", 2, 12),
        "min_child_weight": trial.suggest_float("min_child_weight", 1, leaf, log=True),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-4, 10, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
    }


def tuned(x_train, y_train, x_test, classification, seed, trials):
    """HGB and XGBoost tuned by Optuna's seeded TPE on 5-fold CV of train.csv (accuracy / R²), the best refit on all
    of it: {peer: ((predictions, probabilities, classes), {"cv": best CV score, "params": best hyperparameters})}."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    x_train, x_test, *features = peer_features(x_train, x_test)
    x_train, y_train = x_train.reset_index(drop=True), y_train.reset_index(drop=True)
    folds = (StratifiedKFold if classification else KFold)(n_splits=5, shuffle=True, random_state=seed)
    splits = list(folds.split(x_train, y_train))
    out = {}
    for name, column in [("sklearn HGB", "HGB optuna"), ("XGBoost", "XGB optuna")]:
        def objective(trial):
            params = search_space(name, trial, len(x_train) * 4 // 5)
            scores = []
            for fit_rows, score_rows in splits:
                predicted, _, _ = fit_predict(name, params, x_train.iloc[fit_rows], y_train.iloc[fit_rows], x_train.iloc[score_rows],
                                              features, classification, seed)
                truth = y_train.iloc[score_rows]
                scores.append(metrics.accuracy_score(truth.astype(str), [str(v) for v in predicted]) if classification
                              else metrics.r2_score(truth.astype(float), np.asarray(predicted, float)))
            return float(np.mean(scores))

        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(objective, n_trials=trials)
        best = study.best_params
        result = fit_predict(name, best, x_train, y_train, x_test, features, classification, seed)
        out[column] = (result, {"cv": round(study.best_value, 6), "params": best})
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
    info = {"seconds": round(seconds, 1), "predict seconds": round(time.time() - started - seconds, 1), "trainer": trainer_of(summary)}
    if not classification:
        return info, (out["Score"].astype(float).to_numpy(), None, None)
    classes = sorted({str(c) for c in train[label]})
    proba = np.array([[float(r.get(f"Probability_{c}", 0) or 0) for c in classes] for r in out.to_dict("records")])
    return info, (out["PredictedLabel"].to_numpy(), proba, classes)


def trainer_of(summary):
    selection = summary.get("selection") or {}
    return selection.get("winner") or summary.get("trainer") or "?"


def main():
    parser = argparse.ArgumentParser(description="Side by side with scikit-learn and XGBoost, through the CLI contract.")
    parser.add_argument("--optuna", type=int, default=0, metavar="N", help="Optuna TPE trials for HGB and XGBoost each (default 0: off)")
    parser.add_argument("--bench-json", type=pathlib.Path, metavar="PATH", help="also write bench/run.sh's suite file (ratios to the best default peer)")
    parser.add_argument("--quick", action="store_true", help="mark the suite file as a quick run")
    parser.add_argument("cli")
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("seeds", type=int)
    parser.add_argument("specs", nargs="+", metavar="dataset")
    args = parser.parse_args()
    cli, root, seeds, specs = args.cli, args.root, args.seeds, args.specs
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
            started = time.time()
            for peer, result in peers(train.drop(columns=[label]), train[label], test.drop(columns=[label]), classification, seed).items():
                row[peer] = score(test[label], *result, classification)
            row["peers seconds"] = round(time.time() - started, 2)  # the default peers' preprocessing, fit and predict
            if args.optuna > 0:
                started = time.time()
                for column, (result, best) in tuned(train.drop(columns=[label]), train[label], test.drop(columns=[label]),
                                                    classification, seed, args.optuna).items():
                    row[column] = {**score(test[label], *result, classification), **best, "trials": args.optuna}
                row["optuna seconds"] = round(time.time() - started, 1)
            results.append(row)
            print(json.dumps(row), flush=True)
    (root / "results.json").write_text(json.dumps(results, indent=1))
    table(results)
    if args.bench_json:
        bench_json(results, args.bench_json, args.quick)


def bench_json(results, path, quick):
    """The suite file of bench/run.sh: per dataset, our first metric against the best default peer's (mean over seeds),
    and our wall time (train + predict through the CLI) against the default peers' fit + predict time."""
    figures, checks = [], []
    for name in dict.fromkeys(r["dataset"] for r in results):
        rows = [r for r in results if r["dataset"] == name]
        classification = rows[0]["task"] == "classification"
        metric = "accuracy" if classification else "r2"
        peers_ = ["sklearn HGB", "XGBoost", "sklearn logistic" if classification else "sklearn ridge"]
        failed = [r["ours"]["error"] for r in rows if "error" in r["ours"]]
        checks.append({"name": f"{name}: trained and predicted through the CLI", "passed": not failed, "detail": "; ".join(failed) or f"{len(rows)} seeds"})
        if failed:
            continue
        best = max(peers_, key=lambda p: np.mean([r[p][metric] for r in rows]))
        figures.append({"name": f"{name} ({rows[0]['rows']} rows) {metric}", "ours": float(np.mean([r["ours"][metric] for r in rows])), "unit": metric,
                        "peer": best, "peerValue": float(np.mean([r[best][metric] for r in rows])), "better": "higher"})
    done = [r for r in results if "error" not in r["ours"]]
    ours_seconds = sum(r["ours"]["seconds"] + r["ours"]["predict seconds"] for r in done)
    figures.append({"name": f"wall time of the sweep ({len(done)} runs): ours train + predict through the CLI", "ours": ours_seconds, "unit": "s",
                    "peer": "default peers' preprocessing, fit and predict", "peerValue": sum(r["peers seconds"] for r in done), "better": "lower"})
    for f in figures:
        f["ratio"] = f["ours"] / f["peerValue"] if f["peerValue"] else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"suite": "quality", "quick": quick, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                "figures": figures, "checks": checks, "data": {"peers": {"sklearn": __import__("sklearn").__version__,
                                "xgboost": xgboost.__version__}, "results": results}}, indent=1))


def table(results):
    tuned_columns = [c for c in ["HGB optuna", "XGB optuna"] if any(c in r for r in results)]
    print("\n| dataset | rows | metric | ours | sklearn HGB | XGBoost | sklearn linear | " + "".join(f"{c} | " for c in tuned_columns)
          + "our trainers | our seconds |")
    print("|---|---|---|---|---|---|---|" + "---|" * len(tuned_columns) + "---|---|")
    for name in dict.fromkeys(r["dataset"] for r in results):
        rows = [r for r in results if r["dataset"] == name]
        classification = rows[0]["task"] == "classification"
        linear = "sklearn logistic" if classification else "sklearn ridge"
        for metric in (["accuracy", "macroF1", "logLoss", "auc"] if classification else ["rmse", "r2"]):
            cells = []
            for key in ["ours", "sklearn HGB", "XGBoost", linear] + tuned_columns:
                values = [r[key][metric] for r in rows if metric in r.get(key, {})]
                cells.append(f"{np.mean(values):.4f}" if len(values) == len(rows) else ("error" if key == "ours" else "—"))
            if all(c == "—" for c in cells[1:]):
                continue
            trainers = ", ".join(str(r["ours"].get("trainer", r["ours"].get("error"))) for r in rows)
            seconds = np.mean([r["ours"]["seconds"] for r in rows if "seconds" in r["ours"]] or [float("nan")])
            print(f"| {name} | {rows[0]['rows']} | {metric} | " + " | ".join(cells) + f" | {trainers} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
