#!/usr/bin/env bash
# Post-deploy smoke test: the health check answers, then one prediction is made (needs curl and jq).
#   infra/smoke.sh <base-url> <function-key> <admin-key>
# The model is SMOKE_MODEL (default "smoke"). If it has no champion yet, it is trained first from
# datasets/$SMOKE_MODEL/credit-g.csv (the bundled sample): uploaded with `az storage blob upload --auth-mode login`
# to $AZURE_STORAGE_ACCOUNT when that is set (in Azure), else expected to be there already (locally:
# `mllifecycle train samples/credit-g.csv --model smoke` uploads it).
set -euo pipefail
base="${1:?base URL, e.g. https://func-x.azurewebsites.net}"; function_key="${2:?function key}"; admin_key="${3:?admin key}"
model="${SMOKE_MODEL:-smoke}"
here="$(cd "$(dirname "$0")/.." && pwd)"
call() { curl -sS --fail-with-body --max-time 60 -H "content-type: application/json" "$@"; }

health=$(call "$base/api/health")
echo "health: $health"
[[ $(jq -r .status <<<"$health") == healthy ]] || { echo "smoke: unhealthy" >&2; exit 1; }

if [[ $(call -H "x-functions-key: $function_key" "$base/api/models/$model" 2>/dev/null | jq -r '.aliases.champion // empty') == "" ]]; then
  if [[ -n "${AZURE_STORAGE_ACCOUNT:-}" ]]; then
    az storage blob upload --auth-mode login --account-name "$AZURE_STORAGE_ACCOUNT" --container-name datasets \
      --name "$model/credit-g.csv" --file "$here/samples/credit-g.csv" --overwrite --only-show-errors >/dev/null
  fi
  run=$(call -X POST -H "x-functions-key: $admin_key" "$base/api/training" \
    -d "{\"model\": \"$model\", \"dataset\": \"$model/credit-g.csv\", \"label\": \"class\"}")
  id=$(jq -r .runId <<<"$run")
  echo "training run $id"
  for _ in $(seq 1 180); do
    status=$(call -H "x-functions-key: $function_key" "$base/api/runs/$id" | jq -r .status)
    case "$status" in
      Succeeded) break ;;
      Failed|Rejected) echo "smoke: training run $id $status" >&2; exit 1 ;;
    esac
    sleep 5
  done
  [[ "$status" == Succeeded ]] || { echo "smoke: training run $id did not finish in 15 minutes" >&2; exit 1; }
fi

row='{"checking_status":"<0","duration":12,"credit_history":"existing paid","purpose":"radio/tv","credit_amount":2500,"savings_status":"<100","employment":"1<=X<4","installment_commitment":3,"personal_status":"male single","other_parties":"none","residence_since":2,"property_magnitude":"car","age":35,"other_payment_plans":"none","housing":"own","existing_credits":1,"job":"skilled","num_dependents":1,"own_telephone":"none","foreign_worker":"yes"}'
prediction=$(call -X POST -H "x-functions-key: $function_key" "$base/api/models/$model/predict" -d "$row")
[[ $(jq -r '.predictions[0].label // empty' <<<"$prediction") != "" ]] || { echo "smoke: no prediction in $prediction" >&2; exit 1; }
echo "prediction: $(jq -c '{model, version, label: .predictions[0].label}' <<<"$prediction")"
echo "smoke: passed"
