#!/usr/bin/env bash
# Runs every test suite of the project. Installs what it needs first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_system_packages
section "Rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

section "Rust: unit, property and integration tests"
cargo test --workspace --locked

section "UI: types, unit tests (Vitest + mockIPC) and production build"
npm ci --no-audit --no-fund
npm run check --workspace ui
npm test --workspace ui
npm run build --workspace ui
