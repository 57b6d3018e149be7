#!/usr/bin/env bash
# Runs every test suite of the project. Installs what it needs first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_system_packages

# The UI goes first: the app crate embeds ui/dist when it compiles.
section "UI: types, unit tests (Vitest + mockIPC) and production build"
install_npm_packages
npm run check --workspace ui
npm test --workspace ui
npm run build --workspace ui

# One cargo selection and feature set for every cargo run below: another package selection or
# feature set would compile the shared dependencies again (docs/architecture.md, Test layers). The app is built as
# the end-to-end tests need it: with the demo shop and the embedded UI (custom-protocol).
CARGO_SET=(--workspace --locked --features fe2-license-manager/demo,fe2-license-manager/custom-protocol)

section "Rust: format and lints"
cargo fmt --all -- --check
cargo clippy "${CARGO_SET[@]}" --all-targets -- -D warnings

section "Windows: cargo clippy -D warnings for x86_64-pc-windows-gnu (docs/windows.md)"
# Windows-only code (message box, Credential Manager, paths) is linted like the rest. Its own
# target directory and Debian's rustc-web; installs its packages itself. The build and the Wine
# tests are the README's second test command (scripts/windows.sh all).
scripts/windows.sh lint

section "Rust: the start-up benchmark's marker only in benchmark builds (feature bench)"
# The positive check keeps the negative one honest: the name is the one cargo tree prints.
marker_in() {
  local tree
  tree=$(cargo tree -p fe2-license-manager -e normal --locked --prefix none "$@")
  grep -q '^fe2-bench-marker ' <<<"$tree"
}
if marker_in; then echo "fe2-bench-marker is linked into the app without --features bench" >&2; exit 1; fi
marker_in --features bench || { echo "fe2-bench-marker is missing from the bench build" >&2; exit 1; }

section "Rust: unit, property and integration tests (core client against the shop, a hostile server and real proxies included)"
# crates/fe2-license/tests/proxy_real.rs runs squid (installed above) and fails without it.
# Also builds target/debug/fe2-shop and target/debug/fe2-license-manager for the sections below.
cargo test "${CARGO_SET[@]}"

section "UI bindings: regenerated from the Rust types, identical to the commit"
# crates/fe2-license/tests/bindings.rs writes ui/src/lib/bindings; any difference, or a file
# that is new or gone, means the committed UI types drifted from the Rust types.
cargo test "${CARGO_SET[@]}" --features fe2-license/ts --test bindings
bindings_changes=$(git status --porcelain -- ui/src/lib/bindings)
[ -z "$bindings_changes" ] || { echo "ui/src/lib/bindings differs from the commit:" >&2; echo "$bindings_changes" >&2; git diff -- ui/src/lib/bindings >&2; exit 1; }

section "Shop API: schemathesis against the reference shop and docs/shop-api.openapi.yaml"
# No silent skip: scripts/schemathesis.sh fails when schemathesis is missing or finds anything.
install_schemathesis
scripts/schemathesis.sh

section "Rust: real keychain (gnome-keyring Secret Service in a private D-Bus session)"
# No silent skip: a missing tool or an unreachable Secret Service fails this script.
command -v dbus-run-session >/dev/null || { echo "dbus-run-session missing" >&2; exit 1; }
command -v gnome-keyring-daemon >/dev/null || { echo "gnome-keyring-daemon missing" >&2; exit 1; }
cargo test "${CARGO_SET[@]}" --test keychain --no-run
keychain_home=$(mktemp -d)
keychain_log="$keychain_home/test.log"
XDG_DATA_HOME="$keychain_home" dbus-run-session -- sh -c '
  eval "$(printf "ci-password" | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
  export GNOME_KEYRING_CONTROL
  cargo test "$@" --test keychain -- --ignored --test-threads=1
' sh "${CARGO_SET[@]}" 2>&1 | tee "$keychain_log"
grep -q "test result: ok. 1 passed" "$keychain_log" || { echo "the keychain test did not pass" >&2; exit 1; }
rm -rf "$keychain_home"

section "Rust: fe2-license CLI against the reference shop with a real Secret Service"
cargo test "${CARGO_SET[@]}" --test shop --no-run
cli_log=$(mktemp)
scripts/with-keyring.sh cargo test "${CARGO_SET[@]}" --test shop -- --ignored --test-threads=1 2>&1 | tee "$cli_log"
# No silent skip: the ignored tests must have run and passed.
grep -Eq "test result: ok\. [1-9][0-9]* passed" "$cli_log" || { echo "the CLI shop tests did not run" >&2; exit 1; }
rm -f "$cli_log"

section "Monitoring: perfdata ranges by nagiosplugin; contrib/ by Icinga 2, Nagios and promtool"
# No silent skip: every judge must be there and every test must have run and passed.
for tool in icinga2 nagios4 promtool python3; do
  command -v "$tool" >/dev/null || { echo "$tool missing" >&2; exit 1; }
done
nagiosplugin_python=$(install_nagiosplugin)
monitoring_log=$(mktemp)
NAGIOSPLUGIN_PYTHON="$nagiosplugin_python" cargo test "${CARGO_SET[@]}" --bin fe2-license \
  -- --ignored perfdata_ranges 2>&1 | tee "$monitoring_log"
grep -q "test result: ok. 1 passed" "$monitoring_log" || { echo "the nagiosplugin range test did not pass" >&2; exit 1; }
cargo test "${CARGO_SET[@]}" --test monitoring --no-run
scripts/with-keyring.sh cargo test "${CARGO_SET[@]}" --test monitoring -- --ignored --test-threads=1 2>&1 | tee "$monitoring_log"
grep -q "test result: ok. 2 passed" "$monitoring_log" || { echo "the Icinga 2, Nagios and promtool tests did not pass" >&2; exit 1; }
rm -f "$monitoring_log"

section "End to end: the real app (demo + custom-protocol build) under Xvfb via tauri-driver + WebKitWebDriver"
# No silent skip: every tool must be there.
command -v xvfb-run >/dev/null || { echo "xvfb-run missing" >&2; exit 1; }
command -v WebKitWebDriver >/dev/null || { echo "WebKitWebDriver missing (webkit2gtk-driver)" >&2; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || cargo install tauri-driver@2.1.0 --locked
# The app binary of the test build above (CARGO_SET): what `tauri build --debug --no-bundle
# --features demo` builds, without compiling Tauri a second time.
E2E_TESTS=(--test app --test flows --test faults --test secrets)
cargo test "${CARGO_SET[@]}" "${E2E_TESTS[@]}" --no-run
e2e_home=$(mktemp -d)
e2e_log=$(mktemp)
# Everything the run writes (data homes, logs, web view data, the app's output, its IPC answers)
# stays in e2e_home for the secret scan below. Private XDG directories: nothing of the run lands
# in the user's configuration; the keyring and D-Bus session are private too
# (scripts/with-keyring.sh). Each test stops its own tauri-driver.
export FE2_E2E_ARTIFACTS="$e2e_home"
XDG_CONFIG_HOME="$e2e_home/config" XDG_CACHE_HOME="$e2e_home/cache" \
  APP_BIN="$PWD/target/debug/fe2-license-manager" \
  xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh \
  cargo test "${CARGO_SET[@]}" "${E2E_TESTS[@]}" -- --ignored --test-threads=1 --skip after_e2e_run 2>&1 | tee "$e2e_log"
# No silent skip: every end-to-end test of every file must have run and passed.
e2e_expected=$(cat tests/e2e/tests/*.rs | grep -c '^#\[ignore = "end-to-end')
e2e_passed=$(awk '/^test result: ok\./ { n += $4 } END { print n + 0 }' "$e2e_log")
[ "$e2e_passed" = "$e2e_expected" ] || { echo "end-to-end: $e2e_passed of $e2e_expected passed" >&2; exit 1; }

section "End to end: no password in any file, output or IPC answer of the whole run"
cargo test "${CARGO_SET[@]}" --test secrets -- --ignored --nocapture after_e2e_run 2>&1 | tee "$e2e_log"
grep -q "test result: ok. 1 passed" "$e2e_log" || { echo "the secret scan did not pass" >&2; exit 1; }
unset FE2_E2E_ARTIFACTS
rm -rf "$e2e_home" "$e2e_log"
