#!/usr/bin/env bash
# Runs schemathesis against a reference shop started here (loopback, in memory, demo fixtures,
# frozen clock, a throwaway signing key). Fails when schemathesis is missing or finds anything.
# Expects target/debug/fe2-shop (built by the workspace tests in scripts/test.sh) and install_schemathesis (lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

st="$SCHEMATHESIS_VENV/bin/st"
[ -x "$st" ] || { echo "schemathesis missing: $st" >&2; exit 1; }
[ -x target/debug/fe2-shop ] || { echo "target/debug/fe2-shop missing" >&2; exit 1; }

work=$(mktemp -d)
shop_pid=""
cleanup() {
  [ -z "$shop_pid" ] || kill "$shop_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/out"
target/debug/fe2-shop serve --listen 127.0.0.1:0 --db :memory: \
  --fixtures crates/fe2-shop/fixtures/demo.json --now 2025-07-02T12:00:00Z \
  --signing-key "$work/signing.key" >"$work/out" 2>"$work/shop.log" &
shop_pid=$!
exec 3<"$work/out"
read -r -t 30 first <&3 || { echo "the shop did not start" >&2; cat "$work/shop.log" >&2; exit 1; }
shop_url=${first#listening on }
case "$shop_url" in http://127.0.0.1:*) ;; *) echo "unexpected first line: $first" >&2; exit 1 ;; esac

# A demo account (crates/fe2-shop/fixtures/demo.json). --max-examples keeps the run near half
# a minute on two cores; a fixed seed makes a failure reproducible.
# Run from the scratch directory: schemathesis keeps a cache in its working directory.
root=$PWD
cd "$work"
"$root/$st" run "$root/docs/shop-api.openapi.yaml" \
  --url "$shop_url/wp-json/fe2/v1" \
  --auth "leitstelle@ff-musterstadt.de:abcd EFGH 1234 ijkl MNOP 5678" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection,ignored_auth \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" \
  --workers 1 \
  --seed 1 \
  --no-color
