#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring Secret Service
# whose keyrings live in a temporary XDG_DATA_HOME: the user's keyrings are never touched, and
# the daemons end with the session. Usage: scripts/with-keyring.sh CMD [ARGS...]
set -euo pipefail
# No silent skip: a missing tool fails the caller.
command -v dbus-run-session >/dev/null || { echo "dbus-run-session missing" >&2; exit 1; }
command -v gnome-keyring-daemon >/dev/null || { echo "gnome-keyring-daemon missing" >&2; exit 1; }
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
XDG_DATA_HOME="$keyring_home" dbus-run-session -- sh -c '
  eval "$(printf "ci-password" | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
  export GNOME_KEYRING_CONTROL
  exec "$@"' with-keyring "$@"
