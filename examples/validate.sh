#!/usr/bin/env bash
# Prediction against measurement on the reference stack (docs/validation.md).
#
# For each case of scenarios/validation/ and each of VALIDATE_RUNS replications:
# examples/stack.sh up, the printed `isrsim load` with that replication (a different seed's users
# and edits), stack.sh down. Then the prediction: `isrsim run` of the scenario as tested (the
# measured folder's scenario.toml, so a shortened VALIDATE_DURATION is predicted as played) with
# 200 replications, its layer mix from examples/layer_mix.rs, and `isrsim compare` of each run.
# Last, a table of every case in $OUT/summary.md.
#
#   examples/validate.sh [CASE...]          # default: every case below
#   VALIDATE_RUNS=2 VALIDATE_DURATION=5m VALIDATE_OUT=results/validation examples/validate.sh
#
# Everything listens on loopback; each load run is bounded by its duration, and the stack it
# starts is stopped (by recorded process ids) before the next, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${VALIDATE_RUNS:-2}
DURATION=${VALIDATE_DURATION:-}
OUT=${VALIDATE_OUT:-results/validation}
STATE=${VALIDATE_STATE:-examples/.stack-validate}

# name policy cdn instances (the platform, next start or an OpenNext adapter, is the scenario's)
CASES=(
  "isr-10s time-10s none 1"
  "isr-10s-varnish time-10s varnish 1"
  "isr-10s-nginx time-10s nginx 1"
  "on-demand-invalidate invalidate-1s none 1"
  "on-demand-purge regenerate-purge varnish 1"
  "two-instances-nginx time-10s nginx 2"
  "bursty-storm time-10s none 1"
  "tags-varnish tags-purge varnish 1"
  "opennext-aws time-10s varnish 1"
  "opennext-cloudflare time-10s varnish 1"
)

cargo build --release --quiet --bin isrsim --example layer_mix
ISRSIM=target/release/isrsim
mkdir -p "$OUT"

down() { examples/stack.sh down --state "$STATE" >/dev/null 2>&1 || true; }
trap down EXIT

# The measured layer mix of a --log file, after the warm-up: the same six shares as layer_mix.
measured_layers() {
  local log=$1 warmup=$2
  awk -F, -v w="$warmup" 'NR > 1 && $1 >= w {
      n++
      cdn = toupper($8); origin = toupper($7)
      if ($5 !~ /^2/) e++
      else if (cdn ~ /^(HIT|TCP_HIT)/) ch++
      else if (cdn ~ /^(STALE|UPDATING|AGE)/) cs++
      else if (origin == "HIT") oh++
      else if (origin == "STALE") os++
      else om++
    }
    END {
      if (n == 0) n = 1
      print "cdn_hit,cdn_stale,origin_hit,origin_stale,origin_miss,error"
      printf "%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", ch/n, cs/n, oh/n, os/n, om/n, e/n
    }' "$log"
}

selected=("$@")
for case in "${CASES[@]}"; do
  read -r name policy cdn instances <<<"$case"
  if ((${#selected[@]})) && [[ ! " ${selected[*]} " == *" $name "* ]]; then
    continue
  fi
  scenario=scenarios/validation/$name.toml
  dir=$OUT/$name
  mkdir -p "$dir"
  warmup=$(awk -F' *= *' '$1 == "warmup" { gsub(/[" ]/, "", $2); print $2 }' "$scenario")
  warmup_s=$(echo "$warmup" | awk '/ms$/ { print $0 / 1000; next } /m$/ { print $0 * 60; next } { print $0 + 0 }')
  for ((r = 0; r < RUNS; r++)); do
    echo "== $name: measuring replication $r" >&2
    examples/stack.sh up "$scenario" --policy "$policy" --cdn "$cdn" --instances "$instances" \
      --state "$STATE" >"$dir/stack-$r.txt" 2>&1 || {
      cat "$dir/stack-$r.txt" >&2
      exit 1
    }
    rm -f "$dir/measured-$r.log.csv"
    # The command stack.sh printed, quoted as the shell reads it.
    eval "load=($(<"$STATE/load-command"))"
    extra=(--replication "$r" --out "$dir/measured-$r" --log "$dir/measured-$r.log.csv" --quiet)
    [[ -z $DURATION ]] || extra+=(--duration "$DURATION")
    status=0
    "${load[@]}" "${extra[@]}" 2>"$dir/load-$r.txt" || status=$?
    down
    if ((status != 0 && status != 3)); then
      echo "$name replication $r: isrsim load exited $status" >&2
      cat "$dir/load-$r.txt" >&2
      exit 1
    fi
    measured_layers "$dir/measured-$r.log.csv" "$warmup_s" >"$dir/measured-$r-layers.csv"
  done
  echo "== $name: predicting" >&2
  tested=$dir/measured-0/scenario.toml
  "$ISRSIM" run "$tested" --replications 200 --out "$dir/predicted" --quiet --no-slo
  target/release/examples/layer_mix "$tested" "$policy" >"$dir/predicted-layers.csv"
  for ((r = 0; r < RUNS; r++)); do
    "$ISRSIM" compare "$dir/predicted" "$dir/measured-$r" --format markdown >"$dir/compare-$r.md"
  done
done

# The table of every case measured (examples/validation-summary.py).
names=()
for case in "${CASES[@]}"; do names+=("${case%% *}"); done
python3 examples/validation-summary.py "$OUT" "${names[@]}" >"$OUT/summary.md"
echo "summary in $OUT/summary.md" >&2
