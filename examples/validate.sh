#!/usr/bin/env bash
# Prediction against measurement on the reference stack (docs/validation.md).
#
# For each case of scenarios/validation/ and each of VALIDATE_RUNS replications (default 3):
# examples/stack.sh up, the printed `isrsim load` with that replication (a different seed's users
# and edits; its --epoch puts time zero at the instant the site goes live, which it waits for), stack.sh down. Then the prediction: `isrsim run` of the scenario as tested (the
# measured folder's scenario.toml, so a shortened VALIDATE_DURATION is predicted as played) with
# 200 replications, its layer mix from examples/layer_mix.rs, and `isrsim compare` of each run.
# Last, a table of every case in $OUT/summary.md, headed by $OUT/pass.md: when the pass started
# and ended, how long it took, and the version of every part, read from what is installed.
#
#   examples/validate.sh [CASE...]          # default: every case below
#   VALIDATE_RUNS=3 VALIDATE_DURATION=5m VALIDATE_OUT=results/validation examples/validate.sh
#   STACK_PORT=3101 STACK_CDN_PORT=8100 STACK_CMS=127.0.0.1:4110 STACK_INSPECTOR_PORT=9329 \
#     VALIDATE_STATE=examples/.stack-b examples/validate.sh schedule-varnish   # other ports
#
# Everything listens on loopback (stack.sh's ports, which the load command carries); each load
# run is bounded by its duration (the scenario's, 5 minutes, unless VALIDATE_DURATION), and the
# stack it starts is stopped (by recorded process ids) before the next, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${VALIDATE_RUNS:-3}
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
  "mark-stale-varnish mark-stale-purge varnish 1"
  "schedule-varnish cron-1m-purge varnish 1"
  "opennext-aws time-10s varnish 1"
  "opennext-cloudflare time-10s varnish 1"
)

started=$(date -u +%s)
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

# version FILE: the "version" of a package.json, or "not installed".
version() {
  [[ -f $1 ]] && node -p "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).version" "$1" 2>/dev/null \
    || echo "not installed"
}

# or_missing: its input, or "not installed" when there is none.
or_missing() {
  local text
  text=$(cat)
  echo "${text:-not installed}"
}

# pass_header START END (Unix seconds): the pass's times and duration, and the version of every
# part it ran, read from what is installed (the OpenNext rows only when an OpenNext case ran).
pass_header() {
  local start=$1 end=$2 took site=examples/nextjs/node_modules aws=examples/opennext/aws/node_modules
  local cf=examples/opennext/cloudflare/node_modules
  took=$((end - start))
  echo "Validation pass: started $(date -u -d "@$start" '+%Y-%m-%d %H:%M:%S') UTC, ended $(date -u -d "@$end" '+%Y-%m-%d %H:%M:%S') UTC, took $((took / 3600))h $((took / 60 % 60))m $((took % 60))s ($RUNS run(s) a case${DURATION:+, each $DURATION})."
  echo
  echo "| part | version |"
  echo "|---|---|"
  echo "| Next.js (\`next start\`) | $(version "$site/next/package.json") |"
  echo "| React | $(version "$site/react/package.json") |"
  echo "| Node.js | $(node --version 2>/dev/null || echo "not installed") |"
  echo "| Varnish | $( (PATH=$PATH:/usr/sbin:/sbin varnishd -V 2>&1 || true) | sed -n 's/^varnishd (\(varnish-[^ ]*\).*/\1/p' | head -n 1 | or_missing) |"
  echo "| nginx | $( (PATH=$PATH:/usr/sbin:/sbin nginx -v 2>&1 || true) | sed -n 's/^nginx version: //p' | head -n 1 | or_missing) |"
  echo "| isrsim | $("$ISRSIM" --version | sed 's/^isrsim //') |"
  if [[ " ${ran[*]} " == *" opennext-aws "* ]]; then
    echo "| @opennextjs/aws | $(version "$aws/@opennextjs/aws/package.json") |"
    echo "| Next.js (OpenNext for AWS) | $(version "$aws/next/package.json") |"
  fi
  if [[ " ${ran[*]} " == *" opennext-cloudflare "* ]]; then
    echo "| @opennextjs/cloudflare | $(version "$cf/@opennextjs/cloudflare/package.json") |"
    echo "| Next.js (OpenNext for Cloudflare) | $(version "$cf/next/package.json") |"
    echo "| wrangler | $(version "$cf/wrangler/package.json") |"
    echo "| workerd | $(version "$cf/workerd/package.json") |"
    echo "| Node.js (wrangler's) | $("$cf/.bin/node" --version 2>/dev/null || echo "not installed") |"
  fi
}

selected=("$@")
ran=()
for case in "${CASES[@]}"; do
  read -r name policy cdn instances <<<"$case"
  if ((${#selected[@]})) && [[ ! " ${selected[*]} " == *" $name "* ]]; then
    continue
  fi
  scenario=scenarios/validation/$name.toml
  dir=$OUT/$name
  ran+=("$name")
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
    load=()
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
pass_header "$started" "$(date -u +%s)" >"$OUT/pass.md"
{ cat "$OUT/pass.md"; echo; cat "$OUT/summary.md"; } >"$OUT/summary.md.new"
mv "$OUT/summary.md.new" "$OUT/summary.md"
echo "summary in $OUT/summary.md" >&2
