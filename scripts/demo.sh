#!/usr/bin/env bash
# The README's first command: builds the desktop app with the in-process demo shop (through the
# Tauri CLI, so the UI is embedded) and starts it with --demo: temporary data, in-memory secrets,
# demo licenses. Nothing of the user's configuration or keychain is read or written.
# Extra arguments go to the app.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_system_packages
install_npm_packages

section "Building the app (Tauri CLI, debug, feature demo)"
npx tauri build --debug --no-bundle --features demo

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No desktop (neither DISPLAY nor WAYLAND_DISPLAY is set): start the demo from a desktop session," >&2
  echo "or headless: xvfb-run -a target/debug/fe2-license-manager --demo" >&2
  exit 1
fi
section "Starting the demo"
exec target/debug/fe2-license-manager --demo "$@"
