#!/usr/bin/env bash
# The Windows delivery, built and tested from Linux (docs/windows.md).
#   scripts/windows.sh build   cross-builds fe2-license-manager.exe (production), fe2-license.exe
#                              and a demo build of the app, and makes both installers (NSIS setup
#                              program and MSI) in target/windows/
#   scripts/windows.sh installers  only the installers, from the programs built before
#   scripts/windows.sh msi VERSION FOLDER OUT.msi  an MSI of the files of installer/files.txt in
#                              FOLDER (the Wine tests build an older version with it)
#   scripts/windows.sh test    installs those installers into throwaway Wine prefixes and tests
#                              them against the reference shop on loopback (builds first when needed)
#   scripts/windows.sh lint    cargo clippy -D warnings for the Windows target (also in scripts/test.sh)
#   scripts/windows.sh all     lint, build and test: the README's second test command (the build
#                              and the Wine tests would take CI past an hour on 2 cores)
# Installs what it needs from Debian's packages first (idempotent). Uses Debian's Rust
# (rustc-web 1.96 with the standard library's source) for the Windows target only; everything
# else keeps the rustup toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TARGET=x86_64-pc-windows-gnu
OUT=target/windows
# Its own target directory: the Linux build is untouched, and the two never wait for each other.
CARGO_DIR=$OUT
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
INSTALLER="$OUT/FE2-License-Manager_${VERSION}_x64-setup.exe"
MSI="$OUT/FE2-License-Manager_${VERSION}_x64.msi"
# What both installers install: exactly the files named in installer/files.txt, copied here.
DIST=$OUT/dist
# The goal for each installer's size (docs/windows.md).
INSTALLER_MAX_BYTES=$((10 * 1024 * 1024))

WINDOWS_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64
  binutils-mingw-w64-x86-64 nsis)
# wixl builds the MSI; msitools' msibuild adds what wixl cannot (scripts/wixl-extras.py).
MSI_PACKAGES=(wixl msitools)
WINE_PACKAGES=(wine wine64 xvfb xauth xdotool x11-utils)

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    section "Installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Debian's cargo and rustc 1.96 for the Windows target: the standard library is built from
# rust-web-src (-Zbuild-std, allowed by RUSTC_BOOTSTRAP); mingw links. /usr/bin goes first so
# that cargo finds Debian's cargo-clippy, not rustup's proxy.
windows_cargo() {
  PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
    CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc \
    AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar \
    RC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-windres \
    CARGO_TARGET_DIR="$CARGO_DIR" \
    /usr/bin/cargo "$1" -Zbuild-std=std,panic_unwind --target "$TARGET" --locked "${@:2}"
}

# The WebView2 loader the GNU build links against, from the crate that ships it.
webview2_loader() {
  local manifest
  manifest=$(cargo metadata --format-version 1 --locked \
    | python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "webview2-com-sys"))')
  echo "$(dirname "$manifest")/x64/WebView2Loader.dll"
}

build_ui() {
  install_npm_packages
  section "UI: production build (embedded into the app)"
  npm run build --workspace ui
}

cmd_lint() {
  install_packages "${WINDOWS_PACKAGES[@]}"
  [ -f ui/dist/index.html ] || build_ui
  section "Windows: cargo clippy -D warnings (app with the demo shop, CLI, core)"
  # Windows-only code (message box, keychain backend, paths) is linted like the rest; the
  # app's code without the demo feature is the same on both systems and linted on Linux.
  windows_cargo clippy -p fe2-license-manager -p fe2-license-cli -p fe2-license \
    --features fe2-license-manager/demo -- -D warnings
}

# The names in installer/files.txt: text before a #, without a carriage return, not empty
# (read the same way by the NSIS script and the Wine tests).
program_files() {
  sed -e 's/\r$//' -e 's/#.*//' installer/files.txt | grep -v '^$'
}

# Where the build leaves a file of installer/files.txt.
program_file_source() {
  case "$1" in
    fe2-license.exe | fe2-license-manager.exe) echo "$CARGO_DIR/$TARGET/release/$1" ;;
    WebView2Loader.dll) webview2_loader ;;
    *) echo "installer/files.txt names $1, which scripts/windows.sh does not build" >&2; return 1 ;;
  esac
}

# An MSI of VERSION from the files of installer/files.txt in FOLDER, written to OUT. wixl takes
# what it can of installer/fe2-license-manager.wxs; the Environment and ShortcutProperty elements
# go in as tables afterwards (scripts/wixl-extras.py). The file components are harvested from
# the list, as heat harvests the folder on Windows (docs/windows.md).
build_msi() {
  local version=$1 folder=$2 out=$3 work query
  work=$(mktemp -d)
  # wixl takes sources relative to the folder it runs in only.
  ln -s "$(realpath "$folder")" "$work/bin"
  cp src-tauri/icons/icon.ico "$work/icon.ico"
  wixl -E -D Version="$version" -D IconFile=icon.ico installer/fe2-license-manager.wxs \
    > "$work/product.wxs"
  python3 scripts/wixl-extras.py "$work/product.wxs" "$work/for-wixl.wxs" "$work/extras.sql"
  program_files | sed 's|^|bin/|' | (cd "$work" && wixl-heat --prefix bin/ --win64 \
    --directory-ref INSTALLDIR --component-group ProgramFiles --var var.BinDir) > "$work/files.wxs"
  (cd "$work" && wixl -a x64 -D Win64=yes -D BinDir=bin -o product.msi for-wixl.wxs files.wxs)
  while IFS= read -r query; do
    msibuild "$work/product.msi" -q "$query"
  done < "$work/extras.sql"
  mv "$work/product.msi" "$out"
  rm -rf "$work"
}

cmd_msi() {
  [ $# -eq 3 ] || { echo "usage: scripts/windows.sh msi VERSION FOLDER OUT.msi" >&2; exit 2; }
  install_packages "${MSI_PACKAGES[@]}"
  build_msi "$@"
}

# Both installers from the programs built before, with the same files: those of
# installer/files.txt, copied into $DIST (docs/windows.md).
cmd_installers() {
  install_packages nsis "${MSI_PACKAGES[@]}"
  section "Windows: the files of installer/files.txt into $DIST"
  rm -rf "$DIST"; mkdir -p "$DIST"
  local name
  while IFS= read -r name; do
    cp "$(program_file_source "$name")" "$DIST/$name"
  done < <(program_files)

  section "Windows: setup program (makensis, installer/fe2-license-manager.nsi)"
  makensis -V2 -DVERSION="$VERSION" -DBIN_DIR="$PWD/$DIST" -DOUT_FILE="$PWD/$INSTALLER" \
    installer/fe2-license-manager.nsi
  section "Windows: MSI (wixl, installer/fe2-license-manager.wxs)"
  build_msi "$VERSION" "$DIST" "$MSI"

  ls -l "$INSTALLER" "$MSI"
  local file
  for file in "$INSTALLER" "$MSI"; do
    [ "$(stat -c %s "$file")" -le "$INSTALLER_MAX_BYTES" ] \
      || { echo "$file is larger than $INSTALLER_MAX_BYTES bytes" >&2; exit 1; }
  done
}

cmd_build() {
  install_packages "${WINDOWS_PACKAGES[@]}" "${MSI_PACKAGES[@]}"
  build_ui
  local started=$SECONDS
  section "Windows: fe2-license.exe (release)"
  windows_cargo build --release -p fe2-license-cli --bin fe2-license
  section "Windows: fe2-license-manager.exe (release, production features: no demo shop)"
  # The custom protocol serves the embedded UI (a plain cargo build would load devUrl).
  windows_cargo build --release -p fe2-license-manager --features tauri/custom-protocol

  cmd_installers

  section "Windows: demo build of the app (profile windows-demo: quick to build, never shipped)"
  windows_cargo build --profile windows-demo -p fe2-license-manager --features demo,tauri/custom-protocol
  mkdir -p "$OUT/demo"
  cp "$CARGO_DIR/$TARGET/windows-demo/fe2-license-manager.exe" "$DIST/WebView2Loader.dll" "$OUT/demo/"

  section "Windows: built in $((SECONDS - started)) s"
  ls -l "$INSTALLER" "$MSI" "$DIST"/*.exe "$OUT/demo/fe2-license-manager.exe"
}

cmd_test() {
  install_packages "${WINDOWS_PACKAGES[@]}" "${MSI_PACKAGES[@]}" "${WINE_PACKAGES[@]}"
  # The MSI is made after the setup program: an older one is from another build (target/windows
  # may be shared between work trees).
  if [ ! -f "$INSTALLER" ] || [ ! -f "$MSI" ] || [ "$INSTALLER" -nt "$MSI" ]; then
    cmd_build
  fi
  section "Wine: the setup program and the MSI, the app without WebView2, fe2-license.exe against the reference shop"
  # The shim DLL for Wine 8 (tests/windows/shim), the Linux reference shop, and the test crate.
  mkdir -p "$OUT/shim"
  x86_64-w64-mingw32-gcc -shared -O2 -o "$OUT/shim/bcryptprimitives.dll" \
    tests/windows/shim/bcryptprimitives.c -ladvapi32
  cargo build -p fe2-shop --locked
  cargo test -p fe2-windows-tests --locked --no-run
  local log; log=$(mktemp)
  FE2_WINDOWS_INSTALLER="$PWD/$INSTALLER" FE2_WINDOWS_MSI="$PWD/$MSI" FE2_WINDOWS_DIST="$PWD/$DIST" \
    FE2_WINE_SHIM="$PWD/$OUT/shim/bcryptprimitives.dll" \
    FE2_SHOP_BIN="$PWD/target/debug/fe2-shop" \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    cargo test -p fe2-windows-tests --locked -- --ignored --test-threads=1 2>&1 | tee "$log"
  # No silent skip: every Wine test must have run and passed.
  local expected passed
  expected=$(cat tests/windows/tests/*.rs | grep -c '^#\[ignore = "wine')
  passed=$(awk '/^test result: ok\./ { n += $4 } END { print n + 0 }' "$log")
  rm -f "$log"
  [ "$passed" = "$expected" ] || { echo "wine: $passed of $expected passed" >&2; exit 1; }
}

case "${1:-}" in
  build) cmd_build ;;
  installers) cmd_installers ;;
  msi) shift; cmd_msi "$@" ;;
  test) cmd_test ;;
  lint) cmd_lint ;;
  all) cmd_lint; cmd_build; cmd_test ;;
  *) echo "usage: scripts/windows.sh build|installers|msi|test|lint|all" >&2; exit 2 ;;
esac
