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

# name policy cdn instances
CASES=(
  "isr-10s time-10s none 1"
  "isr-10s-varnish time-10s varnish 1"
  "isr-10s-nginx time-10s nginx 1"
  "on-demand-invalidate invalidate-1s none 1"
  "on-demand-purge regenerate-purge varnish 1"
  "two-instances-nginx time-10s nginx 2"
  "bursty-storm time-10s none 1"
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

# The table of every case measured: predicted mean (spread) beside each run and their mean.
python3 - "$OUT" "${CASES[@]}" >"$OUT/summary.md" <<'EOF'
import csv, os, sys
out, cases = sys.argv[1], sys.argv[2:]
METRICS = ["stale_ratio", "stale_age_p50_s", "stale_age_p99_s", "regen_per_request",
           "cdn_hit_ratio"]
LAYERS = ["cdn_hit", "cdn_stale", "origin_hit", "origin_stale", "origin_miss", "error"]

def runs(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "runs.csv"))))
    for r in rows:
        req, regen = float(r["requests"] or 0), float(r["regenerations"] or 0)
        r["regen_per_request"] = str(regen / req) if req else ""
    return rows

def value(row, m):
    v = row.get(m, "")
    return float(v) if v not in ("", None) else None

def fmt(v):
    return "n/a" if v is None else f"{v:.4g}"

def diff(m, p):
    return "n/a" if m is None or not p else f"{(m - p) / p * 100:+.1f}%"

print("| case | metric | predicted mean | predicted spread | measured runs | measured mean | difference |")
print("|---|---|---:|---:|---:|---:|---:|")
for case in cases:
    name = case.split()[0]
    d = os.path.join(out, name)
    if not os.path.isdir(os.path.join(d, "predicted")):
        continue
    measured = sorted(x for x in os.listdir(d) if x.startswith("measured-") and os.path.isdir(os.path.join(d, x)))
    if not measured:
        continue
    pred = runs(os.path.join(d, "predicted"))
    meas = [runs(os.path.join(d, m))[0] for m in measured]
    for m in METRICS:
        pv = [v for v in (value(r, m) for r in pred) if v is not None]
        mv = [v for v in (value(r, m) for r in meas) if v is not None]
        pm = sum(pv) / len(pv) if pv else None
        mm = sum(mv) / len(mv) if mv else None
        spread = f"{fmt(min(pv))} – {fmt(max(pv))}" if pv else "n/a"
        print(f"| {name} | {m} | {fmt(pm)} | {spread} | {', '.join(fmt(v) for v in mv)} | {fmt(mm)} | {diff(mm, pm)} |")
    p_layers = list(csv.DictReader(open(os.path.join(d, "predicted-layers.csv"))))[0]
    m_layers = [list(csv.DictReader(open(os.path.join(d, f"{m}-layers.csv"))))[0] for m in measured]
    for l in LAYERS:
        pm = float(p_layers[l])
        mv = [float(x[l]) for x in m_layers]
        mm = sum(mv) / len(mv)
        print(f"| {name} | layer {l} | {fmt(pm)} | | {', '.join(fmt(v) for v in mv)} | {fmt(mm)} | {diff(mm, pm) if pm >= 0.01 else 'n/a'} |")
EOF
echo "summary in $OUT/summary.md" >&2
