# Shared helpers of scripts/test.sh and scripts/demo.sh. Sourced, not run.

section() { printf "\n==== [%s, %ss] %s\n" "$(date +%T)" "$SECONDS" "$*"; }

# Debian packages: WebKitGTK for the app, D-Bus + gnome-keyring for the real Secret Service,
# Xvfb + WebKitWebDriver (and xclip, to read the clipboard) for the end-to-end tests, and the
# monitoring programs that judge contrib/: Icinga 2 (daemon and ITL, without the service
# package), Nagios Core (without the Apache CGIs), promtool (package prometheus) and a venv for
# nagiosplugin; squid and openssl (its login file) for the real proxy tests
# (crates/fe2-license/tests/proxy_real.rs). Installed only when one is missing.
SYSTEM_PACKAGES=(libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev libxdo-dev
  libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev webkit2gtk-driver xvfb xauth xclip
  gnome-keyring dbus-daemon dbus-x11 fonts-dejavu-core
  icinga2-bin icinga2-common nagios4-core prometheus python3-venv squid openssl)

# System services that installing those packages may start: the tests run their own
# unprivileged daemons in temporary directories and need none of them.
MONITORING_SERVICES=(icinga2 nagios4 prometheus squid)

install_system_packages() {
  local missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    section "Installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    local service
    for service in "${MONITORING_SERVICES[@]}"; do
      # Best effort: where no init system runs, there is nothing to stop.
      $sudo service "$service" stop >/dev/null 2>&1 || true
    done
  fi
}

# nagiosplugin (PyPI), an independent implementation of the Monitoring Plugins range syntax,
# pinned, in a venv below target/. Prints the venv's Python.
NAGIOSPLUGIN_VERSION=1.3.3
install_nagiosplugin() {
  local venv=target/nagiosplugin-venv
  if ! "$venv/bin/python" -c "import nagiosplugin, sys; sys.exit(nagiosplugin.__version__ != '$NAGIOSPLUGIN_VERSION')" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q "nagiosplugin==$NAGIOSPLUGIN_VERSION" >&2
  fi
  echo "$PWD/$venv/bin/python"
}

# npm packages of the root workspace (the Tauri CLI and the UI): `npm ci` when the lockfile
# changed since the last install, `npm install` when there is no lockfile yet.
install_npm_packages() {
  if [ ! -f package-lock.json ]; then
    section "npm install (no lockfile yet)"
    npm install --no-audit --no-fund
  elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    section "npm ci"
    npm ci --no-audit --no-fund
  fi
}

# schemathesis (the third-party API fuzzer), pinned, in a venv of its own under target/.
# Installed only when that version is not there yet.
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV=target/schemathesis-venv

install_schemathesis() {
  if [ "$("$SCHEMATHESIS_VENV/bin/python" -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null)" != "$SCHEMATHESIS_VERSION" ]; then
    section "Installing schemathesis $SCHEMATHESIS_VERSION into $SCHEMATHESIS_VENV"
    python3 -m venv "$SCHEMATHESIS_VENV"
    "$SCHEMATHESIS_VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}
