#!/usr/bin/env bash
# One entry point for the benchmarks: bench/run.sh [suite…] [--quick]
#   suites: quality cv tuning inference drift orchestration scale-out memory (default: all of them)
#   --quick: small sizes on the Debug build, for CI (the harness cannot rot); the figures are not for reading.
# Each suite writes $BENCH_OUT/<suite>.json (default bench/results/); the last step prints one table of ratios
# against the peers measured in the same run. Exit 1 when a suite fails (its process or one of its checks).
# Peers are Debian packages, installed when missing (python3-sklearn, python3-xgboost, python3-optuna, python3-scipy).
set -euo pipefail
cd "$(dirname "$0")/.."

all=(quality cv tuning inference drift orchestration scale-out memory)
quick=0
suites=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *)
      if [[ " ${all[*]} " != *" $arg "* ]]; then echo "bench/run.sh: unknown suite '$arg' (known: ${all[*]})" >&2; exit 2; fi
      suites+=("$arg") ;;
  esac
done
[ ${#suites[@]} -gt 0 ] || suites=("${all[@]}")

export BENCH_OUT=${BENCH_OUT:-bench/results} BENCH_QUICK=$quick
mkdir -p "$BENCH_OUT"
for suite in "${suites[@]}"; do rm -f "$BENCH_OUT/$suite.json"; done
work=$(mktemp -d)
# The CLI runs of the quality suite get their own Azurite (free ports, a temporary data folder), away from a `serve`
# you may have running.
read -r blob queue table < <(/usr/bin/python3 -c 'import socket
s = [socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
export MLLIFECYCLE_AZURITE_BLOB_PORT=$blob MLLIFECYCLE_AZURITE_QUEUE_PORT=$queue MLLIFECYCLE_AZURITE_TABLE_PORT=$table
export MLLIFECYCLE_AZURITE_DATA=${MLLIFECYCLE_AZURITE_DATA:-$work/azurite} MLLIFECYCLE_KEYS_FILE=${MLLIFECYCLE_KEYS_FILE:-$work/keys.json}
trap 'rm -rf "$work"' EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

# --- peers ----------------------------------------------------------------------------------------------------------
packages=()
for suite in "${suites[@]}"; do
  case "$suite" in
    quality) packages+=(python3-sklearn python3-xgboost python3-pandas) ;;
    drift) packages+=(python3-scipy python3-numpy) ;;
    tuning) [ "$quick" = 1 ] || packages+=(python3-optuna) ;;
  esac
done
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "bench: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python=/usr/bin/python3 # Debian's, where the peers are

# --- build ----------------------------------------------------------------------------------------------------------
config=Release; [ "$quick" = 1 ] && config=Debug
if ! dotnet build bench/MlLifecycle.Bench -c "$config" --nologo -v q > "$work/build.log" 2>&1; then
  tail -30 "$work/build.log" >&2; echo "bench: the build failed" >&2; exit 1
fi
bench() { dotnet "bench/MlLifecycle.Bench/bin/$config/net10.0/MlLifecycle.Bench.dll" "$@"; }
cli="src/MlLifecycle.Local/bin/$config/net10.0/mllifecycle"

# --- suites ---------------------------------------------------------------------------------------------------------
q() { [ "$quick" = 1 ] && echo "$1" || echo "$2"; }
run_suite() {
  case "$1" in
    quality)
      if [ "$quick" = 1 ]; then
        $python bench/peers.py --quick --bench-json "$BENCH_OUT/quality.json" "$cli" "$work/peers" 1 sklearn:iris
      else
        data=${BENCH_DATA:-/tmp/mllifecycle-bench-data}; shared=${SHARED_DATASETS:-../shared/datasets}
        [ -f "$data/cars.csv" ] || $python bench/datasets.py "$data"
        sets=(sklearn:iris sklearn:wine sklearn:breast_cancer sklearn:digits sklearn:diabetes samples/credit-g.csv:class samples/labor.csv:class
              samples/breast-cancer-ljubljana.csv:Class "$data/penguins.csv:Species" "$data/cars.csv:Miles_per_Gallon" "$data/movies.csv:IMDB Rating"
              "$data/flights-20k.csv:delay")
        [ -d "$shared" ] && sets+=("$shared/seattle-weather.csv:weather" "$shared/cpu.csv:class")
        $python bench/peers.py --bench-json "$BENCH_OUT/quality.json" "$cli" "$work/peers" 3 "${sets[@]}"
      fi ;;
    cv) bench cv "$(q 5000 150000)" 20 "$(q 1 3)" ;;
    tuning) if [ "$quick" = 1 ]; then bench tuning samples/credit-g.csv class 1; else bench tuning samples/credit-g.csv class 5 --optuna; fi ;;
    inference)
      # serve on the suite's Azurite with credit-g as champion (trained as its client), then the Serving bench against it.
      port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      "$cli" serve --port "$port" > "$work/serve.log" 2>&1 < /dev/null &
      serve=$!
      for _ in $(seq 1 90); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 1; done
      status=0
      echo '{"label": "class", "validation": {"folds": 2, "trainers": ["LightGbm"]}}' > "$work/serving-spec.json"
      "$cli" train samples/credit-g.csv --label class --model credit-g --spec "$work/serving-spec.json" >/dev/null && bench serving "http://127.0.0.1:$port/" credit-g samples/credit-g.csv "$(q 1 20)" || status=$?
      kill -TERM "$serve"; wait "$serve" || true
      return $status ;;
    drift) bench drift "$(q 20000 1000000)" "$(q 8 20)" "$(q 1 3)" ;;
    orchestration) if [ "$quick" = 1 ]; then bench orchestration --quick; else bench orchestration; fi ;;
    scale-out) if [ "$quick" = 1 ]; then bench scaleout --quick; else bench scaleout; fi ;;
    memory) if [ "$quick" = 1 ]; then bench memory --quick; else bench memory; fi ;;
  esac
}

failed=()
for suite in "${suites[@]}"; do
  echo "== $suite ($(date -u +%H:%M:%S)) ==" >&2
  started=$SECONDS
  if ! run_suite "$suite" > "$work/$suite.log" 2>&1; then failed+=("$suite"); tail -20 "$work/$suite.log" >&2; fi
  echo "   $suite: $((SECONDS - started)) s" >&2
done

$python bench/table.py "$BENCH_OUT" "${suites[@]}" || failed+=(table)
if [ ${#failed[@]} -gt 0 ]; then echo "bench: failed: ${failed[*]}" >&2; exit 1; fi
