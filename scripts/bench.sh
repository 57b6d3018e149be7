#!/usr/bin/env bash
# The benchmarks (docs/performance.md): the app against a bare Tauri 2 app (benches/baseline-app) and the
# CLI against a bare Rust binary (benches/bare-cli). Builds everything in release (the apps
# through the Tauri CLI), then measures inside a private D-Bus session with an unlocked
# gnome-keyring (the accounts' secrets live there) and prints one Markdown table.
#
# Usage: scripts/bench.sh              (BENCH_RUNS=N for more runs than 5, BENCH_SKIP_BUILD=1
#                                       to measure the binaries already in target/release)
# The table is also written to target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REL=$ROOT/target/release
RUNS=${BENCH_RUNS:-5}
if [ "$RUNS" -lt 5 ]; then echo "BENCH_RUNS must be at least 5" >&2; exit 1; fi

if [ "${FE2_BENCH_INNER:-}" != 1 ]; then
  # shellcheck source=scripts/lib.sh
  source scripts/lib.sh
  install_system_packages
  if [ ! -x node_modules/.bin/tauri ]; then
    section "npm ci"
    npm ci --no-audit --no-fund
  fi
  if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
    section "Release build: the app (Tauri CLI, with the UI and the start-up marker)"
    npx tauri build --no-bundle --features bench
    section "Release build: the baseline app (Tauri CLI)"
    TAURI_APP_PATH=benches/baseline-app npx tauri build --no-bundle
    section "Release build: CLI, bare CLI, reference shop, bench tools"
    cargo build --release -p fe2-license-cli -p fe2-bench-bare-cli -p fe2-shop -p fe2-bench-tools
  fi
  section "Measuring (private D-Bus session and keyring)"
  keyring_home=$(mktemp -d)
  trap 'rm -rf "$keyring_home"' EXIT
  export FE2_BENCH_INNER=1
  XDG_DATA_HOME="$keyring_home" dbus-run-session -- sh -c '
    eval "$(printf "bench-password" | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
    export GNOME_KEYRING_CONTROL
    exec "$@"' bench "$0" "$@"
  exit $?
fi

# ---- Inside the keyring session --------------------------------------------------------------
T=$REL/fe2-bench
APP=$REL/fe2-license-manager
BASE=$REL/fe2-bench-baseline
CLI=$REL/fe2-license
BARE=$REL/fe2-bench-bare-cli
for bin in "$T" "$APP" "$BASE" "$CLI" "$BARE" "$REL/fe2-shop"; do
  [ -x "$bin" ] || { echo "missing $bin (build first)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a server in the background; sets server_url from its first line.
start_server() {
  local out=$1; shift
  "$@" > "$out" 2>"$out.err" &
  pids+=($!)
  for _ in $(seq 100); do
    if grep -q '^listening on http://' "$out" 2>/dev/null; then
      server_url=$(sed -n '1s/^listening on //p' "$out")
      return 0
    fi
    sleep 0.1
  done
  echo "server did not start: $*" >&2
  cat "$out.err" >&2
  return 1
}

median_of() { sed -n 's/^median=\([0-9.]*\) .*/\1/p'; }
# phases_of NAME: the start-up phases' medians of a measurement (fe2-bench startup).
phases_of() { sed -n 's/^phases=//p' "$work/$1.out"; }

echo "Preparing 25 accounts against the reference shop ..." >&2
"$T" fixtures --demo crates/fe2-shop/fixtures/demo.json --count 25 --out "$work/fixtures.json" \
  > "$work/accounts.txt"
start_server "$work/shop.out" "$REL/fe2-shop" serve --listen 127.0.0.1:0 --db :memory: \
  --fixtures "$work/fixtures.json"
shop_addr=${server_url#http://}
# The accounts are added through the proxy without delay; the same port then gets the delay.
start_server "$work/proxy0.out" "$T" proxy --listen 127.0.0.1:0 --upstream "$shop_addr" \
  --latency-ms 0
proxy_url=$server_url
proxy_pid=${pids[-1]}
proxy_addr=${proxy_url#http://}
home25=$work/home25
home1=$work/home1
n=0
while read -r email password; do
  n=$((n + 1))
  printf '%s\n' "$password" | FE2_LICENSE_HOME=$home25 "$CLI" account add --shop-url "$proxy_url" \
    --email "$email" --password-stdin > /dev/null
  if [ "$n" -eq 1 ]; then
    printf '%s\n' "$password" | FE2_LICENSE_HOME=$home1 "$CLI" account add --shop-url "$proxy_url" \
      --email "$email" --password-stdin > /dev/null
  fi
done < "$work/accounts.txt"
kill "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true
start_server "$work/proxy200.out" "$T" proxy --listen "$proxy_addr" --upstream "$shop_addr" \
  --latency-ms 200
accounts=$(FE2_LICENSE_HOME=$home25 "$CLI" account list --json | grep -o '"email"' | wc -l)
[ "$accounts" -eq 25 ] || { echo "expected 25 accounts, found $accounts" >&2; exit 1; }

# measure NAME CMD...: runs a fe2-bench measurement, keeps its log, prints the median.
measure() {
  local name=$1; shift
  echo "  $name ..." >&2
  "$@" > "$work/$name.out" 2> "$work/$name.log" || { cat "$work/$name.log" >&2; return 1; }
  grep -E '^(runs|phase|[0-9]+ KiB)' "$work/$name.log" | sed "s/^/    $name /" >&2
  median_of < "$work/$name.out"
}
xvfb() { xvfb-run -a -s "-screen 0 1280x1024x24" "$@"; }

echo "Measuring ($RUNS runs each) ..." >&2
# App and bare window in turns (A, B, A, B …): this VM's speed drifts, and both should feel it alike.
start_app=$(FE2_LICENSE_HOME=$home25 measure startup-app xvfb "$T" startup --runs "$RUNS" \
  --pair-with "$BASE" -- "$APP")
start_base=$(sed -n 's/^baseline_median=\([0-9.]*\) .*/\1/p' "$work/startup-app.out")
start_ratio=$(sed -n 's/^ratio_median=\([0-9.]*\) .*/\1/p' "$work/startup-app.out")
start_spread=$(sed -n 's/^ratio_median=.* spread=//p' "$work/startup-app.out")
start_app1=$(FE2_LICENSE_HOME=$home1 measure startup-app-1 xvfb "$T" startup --runs "$RUNS" -- "$APP")
pss_app=$(FE2_LICENSE_HOME=$home25 measure pss-app xvfb "$T" pss --runs "$RUNS" --after-s 5 -- "$APP")
pss_base=$(measure pss-base xvfb "$T" pss --runs "$RUNS" --after-s 5 -- "$BASE")
# The app turns WebKitGTK's accelerated compositing off (src-tauri/src/lib.rs): the bare app with
# the same setting shows what the app itself adds (diagnostic row 2b).
pss_base_nocomp=$(WEBKIT_DISABLE_COMPOSITING_MODE=1 measure pss-base-nocomp xvfb "$T" pss \
  --runs "$RUNS" --after-s 5 -- "$BASE")
cli_runs=$((RUNS * 4))
cli_app=$(FE2_LICENSE_HOME=$home25 measure cli-app "$T" time --runs "$cli_runs" --warmup 3 -- \
  "$CLI" check --offline)
cli_app1=$(FE2_LICENSE_HOME=$home1 measure cli-app-1 "$T" time --runs "$cli_runs" --warmup 3 -- \
  "$CLI" check --offline)
cli_bare=$(measure cli-bare "$T" time --runs "$cli_runs" --warmup 3 -- "$BARE")
refresh25=$(FE2_LICENSE_HOME=$home25 measure refresh-25 "$T" time --runs "$RUNS" -- "$CLI" status --json)
refresh1=$(FE2_LICENSE_HOME=$home1 measure refresh-1 "$T" time --runs "$RUNS" -- "$CLI" status --json)
quote_us=$(measure quote "$T" quote --iterations 200000)
size_app=$(stat -c %s "$APP")
size_base=$(stat -c %s "$BASE")
# The first paint needs what index.html names (entry script, its preloaded chunks, the styles);
# every other page is a chunk of its own, loaded when it is first opened (App.svelte).
ui_gz=0
ui_initial_gz=0
for f in ui/dist/assets/*.js ui/dist/assets/*.css; do
  [ -f "$f" ] || continue
  size=$(gzip -9 -c "$f" | wc -c)
  ui_gz=$((ui_gz + size))
  if grep -q "/assets/$(basename "$f")\"" ui/dist/index.html; then
    ui_initial_gz=$((ui_initial_gz + size))
  fi
done

# ---- The table -------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "—" }'; }
# verdict VALUE OP LIMIT
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
  ok = (op == "<=") ? (v <= l) : 0; print (ok ? "yes" : "**no**") }'; }
ratio_num() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
mem=$(free -h | awk '/^Mem:/ { print $2 }')
mkdir -p target/bench
{
  echo "Machine: $(nproc) cores ($cpu), $mem RAM, $(uname -srm); medians of $RUNS runs (CLI: $cli_runs), $(date -u +%Y-%m-%d)."
  echo
  echo "| Measure | FE2 | Baseline | Ratio | Goal | Met |"
  echo "|---|---|---|---|---|---|"
  echo "| 1 Start-up to first card (Xvfb, 25 cached accounts; app and bare window in turns, median of the pairs' ratios, spread $start_spread) | ${start_app} ms | ${start_base} ms | $(printf '%.2f×' "$start_ratio") | ≤ 1.2× | $(verdict "$start_ratio" '<=' 1.2) |"
  echo "| 1b Start-up to first card, 1 cached account (diagnostic) | ${start_app1} ms | ${start_base} ms | $(ratio "$start_app1" "$start_base") | — | — |"
  echo "| 1c Start-up phases, ms: to navigation / page load / to first card / painted (diagnostic) | $(phases_of startup-app) | $(sed -n 's/^baseline_phases=//p' "$work/startup-app.out") | — | — | — |"
  echo "| 2 Memory, PSS of app + WebKit processes after 5 s | ${pss_app} MB | ${pss_base} MB | $(ratio "$pss_app" "$pss_base") | ≤ 1.2× | $(verdict "$(ratio_num "$pss_app" "$pss_base")" '<=' 1.2) |"
  echo "| 2b Memory, baseline with accelerated compositing off as well (diagnostic) | ${pss_app} MB | ${pss_base_nocomp} MB | $(ratio "$pss_app" "$pss_base_nocomp") | — | — |"
  echo "| 3a Release binary | $(mb "$size_app") | $(mb "$size_base") | $(ratio "$size_app" "$size_base") | ≤ 2× | $(verdict "$(ratio_num "$size_app" "$size_base")" '<=' 2) |"
  echo "| 3b UI JS + CSS of the first paint, gzip -9 | $(awk -v b="$ui_initial_gz" 'BEGIN { printf "%.1f KB", b / 1000 }') | — | — | ≤ 30 KB | $(verdict "$ui_initial_gz" '<=' 30000) |"
  echo "| 3c UI JS + CSS, all pages, gzip -9 (diagnostic) | $(awk -v b="$ui_gz" 'BEGIN { printf "%.1f KB", b / 1000 }') | — | — | — | — |"
  echo "| 4 \`fe2-license check --offline\`, 25 accounts (vs bare binary) | ${cli_app} ms | ${cli_bare} ms | $(ratio "$cli_app" "$cli_bare") | ≤ 5 ms and ≤ 3× | $(awk -v a="$cli_app" -v r="$(ratio_num "$cli_app" "$cli_bare")" 'BEGIN { print ((a <= 5 && r <= 3) ? "yes" : "**no**") }') |"
  echo "| 4b \`fe2-license check --offline\`, 1 account (diagnostic) | ${cli_app1} ms | ${cli_bare} ms | $(ratio "$cli_app1" "$cli_bare") | — | — |"
  echo "| 5 Refresh (\`status\`), 200 ms per request: 25 accounts (vs 1) | ${refresh25} ms | ${refresh1} ms | $(ratio "$refresh25" "$refresh1") | ≤ 2.5× | $(verdict "$(ratio_num "$refresh25" "$refresh1")" '<=' 2.5) |"
  echo "| 6 One \`pricing::quote\` | ${quote_us} µs | — | — | ≤ 50 µs | $(verdict "$quote_us" '<=' 50) |"
} | tee target/bench/results.md
