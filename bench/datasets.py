#!/usr/bin/env python3
"""Writes the extra public benchmark datasets as CSV into <folder>.

Usage: python3 bench/datasets.py <folder>
  - scikit-learn's bundled datasets (no download): iris, wine, breast_cancer, digits, diabetes (label `target`);
  - from the npm package vega-datasets 3.2.1 (installed into <folder>/npm): penguins (`Species`), cars
    (`Miles_per_Gallon`), movies (`IMDB Rating`), flights-20k and flights-5k (its first 5 000 rows) (`delay`),
    flights-200k (`delay` from `distance` and `time`, the hour of day); rows without a label dropped;
  - from the example ARFF files of the Debian package `weka` (used from /usr/share/doc/weka/examples when weka is
    installed, otherwise fetched with `apt-get download weka` into <folder>/apt and unpacked with `dpkg-deb -x`,
    nothing installed): soybean (`class`), vote (`Class`), reuters-grain and reuters-corn (`class-att`);
  - textreg: a seeded synthetic regression with a free-text column (`y` = 2x + noise).
Needs python3-sklearn, python3-pandas, npm, and apt-get with its package lists (`apt-get update`) unless weka is
installed. Every source file is checked against its SHA-256, so the CSVs are the same on every machine.
"""
import hashlib
import pathlib
import random
import re
import shutil
import string
import subprocess
import sys

import pandas as pd
from sklearn import datasets

# SHA-256 of the source files this script reads beyond scikit-learn's (weka 3.6.14-3, vega-datasets 3.2.1).
SOURCES = {
    "soybean.arff": "5645bcd667e9f9efa65a2a45aabb8ed7eb339d9b6e3fa6f7c92a58c4862f0227",
    "vote.arff": "ee647a77207729d73d02cea20646afcd274fe9de95711cbf9909c903636cd65f",
    "ReutersGrain-train.arff": "87abc5c45221a5027329912a1ed85d670edf338e696a2a2744893ae71cc2ae1b",
    "ReutersGrain-test.arff": "957e519ba6094b5e1f5aaf0ab4c0829052c8c9b5fd3c586834ddbef77f704cea",
    "ReutersCorn-train.arff": "1855af1b69c21491a103ae414a1ffe5103c633aa5ad920abde2115aac9f55322",
    "ReutersCorn-test.arff": "e7b3cf0bc83bfa449abeacaef3083e3573f89b4fc2a36111fe59b18ff68e9e33",
    "penguins.json": "0facf769609f1205b82cbceb8238c36af3e6147a0ca0e163902cc6281ce3e917",
    "cars.json": "f686a53678b21f4231e2f6a5ba7ce5761d9d39204fccdea1caa29fb8c460e319",
    "movies.json": "e63c499759e3b07b49563e036f55290f87feb56def8703ec049ca305ab1523d3",
    "flights-20k.json": "52f0ddd892d4569284b845e17323abc9afb7d303ec8f63251634a20327a610bb",
    "flights-200k.json": "82c60682ccdec1a9cf1102b2a011bef789243053f1ac01a531580c72be3d8bc0",
}


def fail(message):
    sys.exit(f"datasets.py: {message}")


def checked(path):
    """The path, after checking that the file exists and is the version this script was written for."""
    if not path.is_file():
        fail(f"{path} is missing")
    expected = SOURCES.get(path.name)
    if expected is not None:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected:
            fail(f"{path} has SHA-256 {actual}, expected {expected}: not the file this script was written for")
    return path


def arff_values(line):
    """The comma-separated values of one ARFF data row: quotes ' or " with backslash escapes; an unquoted ? is missing."""
    values, i, n = [], 0, len(line)
    escapes = {"n": "\n", "t": "\t", "r": "\r"}
    while i <= n:
        while i < n and line[i] in " \t":
            i += 1
        if i < n and line[i] in "'\"":
            quote, i, value = line[i], i + 1, []
            while i < n and line[i] != quote:
                if line[i] == "\\" and i + 1 < n:
                    value.append(escapes.get(line[i + 1], line[i + 1]))
                    i += 2
                else:
                    value.append(line[i])
                    i += 1
            if i >= n:
                raise ValueError(f"unterminated quote in {line[:80]!r}")
            values.append("".join(value))
            i += 1
            while i < n and line[i] in " \t":
                i += 1
        else:
            end = line.find(",", i)
            end = n if end < 0 else end
            raw = line[i:end].strip()
            values.append(None if raw == "?" else raw)
            i = end
        if i < n and line[i] != ",":
            raise ValueError(f"expected a comma at {i} in {line[:80]!r}")
        i += 1
    return values


def read_arff(path):
    """A dense ARFF file as a DataFrame: numeric attributes as numbers, nominal and string ones as text, ? as missing."""
    names, numeric, rows, in_data = [], [], [], False
    for number, line in enumerate(checked(path).read_text(encoding="latin-1").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        if not in_data:
            keyword = stripped.split(None, 1)[0].lower()
            if keyword == "@attribute":
                match = re.match(r"@attribute\s+('[^']*'|\"[^\"]*\"|\S+)\s+(.*)$", stripped, re.IGNORECASE)
                if not match:
                    fail(f"{path}:{number}: cannot read the attribute {stripped!r}")
                names.append(match.group(1).strip("'\""))
                numeric.append(match.group(2).strip().lower() in ("numeric", "real", "integer"))
            elif keyword == "@data":
                in_data = True
            continue
        if stripped.startswith("{"):
            fail(f"{path}:{number}: sparse ARFF rows are not supported")
        try:
            values = arff_values(stripped)
        except ValueError as error:
            fail(f"{path}:{number}: {error}")
        if len(values) != len(names):
            fail(f"{path}:{number}: {len(values)} values for {len(names)} attributes")
        rows.append(values)
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    for name, is_numeric in zip(names, numeric):
        if is_numeric:
            frame[name] = pd.to_numeric(frame[name])
    return frame


def weka_examples(folder):
    """The folder of weka's example ARFF files: the installed package's, or the package fetched and unpacked here."""
    installed = pathlib.Path("/usr/share/doc/weka/examples")
    if (installed / "vote.arff").is_file():
        return installed
    unpacked = folder / "apt" / "root" / "usr" / "share" / "doc" / "weka" / "examples"
    if (unpacked / "vote.arff").is_file():
        return unpacked
    apt = folder / "apt"
    apt.mkdir(exist_ok=True)
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            fail(f"{tool} not found: weka's ARFF files come from the Debian package weka (apt-get download weka)")
    download = subprocess.run(["apt-get", "download", "weka"], cwd=apt, capture_output=True, text=True)
    debs = sorted(apt.glob("weka_*.deb"))
    if download.returncode != 0 or not debs:
        detail = (download.stderr.strip().splitlines() or ["no .deb written"])[-1]
        fail(f"`apt-get download weka` failed ({detail}); run `apt-get update` first, or `apt-get install weka`")
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(apt / "root")], check=True)
    if not (unpacked / "vote.arff").is_file():
        fail(f"{debs[-1].name} has no examples/vote.arff")
    return unpacked


def one_line(text):
    """Free text on one line: every run of whitespace (the articles' line breaks too) becomes one space."""
    return None if text is None else " ".join(text.split())


folder = pathlib.Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
for name in ["iris", "wine", "breast_cancer", "digits", "diabetes"]:
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.copy()
    if name != "diabetes":
        frame["target"] = [str(bunch.target_names[t]) for t in bunch.target]
    frame.to_csv(folder / f"{name}.csv", index=False)

# vega-datasets (BSD-3-Clause package). penguins: Palmer Station LTER, CC0; cars: StatLib / UCI Auto MPG; movies:
# IMDb / The Numbers via vega; flights: U.S. Bureau of Transportation Statistics on-time data (a U.S. government
# work; the package lists its licence as "other-open", terms not explicitly specified).
npm = folder / "npm"
npm.mkdir(exist_ok=True)
if shutil.which("npm") is None:
    fail("npm not found: vega-datasets comes from the npm registry (apt-get install npm)")
install = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(npm), "vega-datasets@3.2.1"], capture_output=True, text=True)
if install.returncode != 0:
    fail(f"`npm install vega-datasets@3.2.1` failed: {(install.stderr.strip().splitlines() or ['?'])[-1]}")
data = npm / "node_modules" / "vega-datasets" / "data"
for name, label in [("penguins", "Species"), ("cars", "Miles_per_Gallon"), ("movies", "IMDB Rating"), ("flights-20k", "delay"), ("flights-200k", "delay")]:
    frame = pd.read_json(checked(data / f"{name}.json"))
    frame = frame[frame[label].notna()]
    frame.to_csv(folder / f"{name}.csv", index=False)
    if name == "flights-20k":
        frame.head(5000).to_csv(folder / "flights-5k.csv", index=False)

# Weka's examples (Debian package weka 3.6.14, GPL-2+ for the software; the data keep their own terms):
# - soybean: Soybean (Large), R. S. Michalski and R. L. Chilausky, UCI Machine Learning Repository, CC BY 4.0.
#   683 rows, 35 nominal attributes with missing values, 19 classes, herbicide-injury has 8 rows.
# - vote: Congressional Voting Records (1984), J. Schlimmer, UCI Machine Learning Repository, CC BY 4.0.
#   435 rows, 16 y/n votes with missing values (`?` = neither yea nor nay), democrat / republican.
# - reuters-grain / reuters-corn: Reuters-21578 (ModApte split, a fifth of the training documents plus the test
#   documents, as Weka ships them), D. D. Lewis, UCI Machine Learning Repository; copyright Reuters Ltd., free
#   distribution for research purposes (the collection's README); UCI lists it under CC BY 4.0. The article text
#   (one free-text column, whitespace folded to single spaces) against whether it is about grain / corn (1 / 0).
examples = weka_examples(folder)
read_arff(examples / "soybean.arff").to_csv(folder / "soybean.csv", index=False)
read_arff(examples / "vote.arff").to_csv(folder / "vote.csv", index=False)
for topic in ["Grain", "Corn"]:
    frame = pd.concat([read_arff(examples / f"Reuters{topic}-{part}.arff") for part in ("train", "test")], ignore_index=True)
    frame["Text"] = frame["Text"].map(one_line)
    frame.to_csv(folder / f"reuters-{topic.lower()}.csv", index=False)

random.seed(1)
vocabulary = ["".join(random.choice(string.ascii_lowercase) for _ in range(5)) for _ in range(300)]
notes = [" ".join(random.sample(vocabulary, 3)) for _ in range(400)]
with open(folder / "textreg.csv", "w") as out:
    out.write("note,x,y\n")
    for i in range(600):
        x = random.random() * 10
        out.write(f"{notes[i % 400]},{x:.3f},{2 * x + random.random():.3f}\n")
print(f"wrote {sorted(p.name for p in folder.glob('*.csv'))}")
