#!/usr/bin/env bash
# Builds the Debian package exitbrain_<version>_<arch>.deb (README "Operating exitbrain"):
# exitbrain and exitbrain-sim in /usr/bin, the systemd unit, an example config in
# /etc/exitbrain (a conffile), the system user (sysusers.d) and the state directory.
# Usage: tools/package.sh [--build-dir DIR] [--out DIR]
# The binaries come from the Release build (built or brought up to date here first); they
# target this machine's CPU (-march=native). For another CPU, configure the build with
# -DEXITBRAIN_MARCH= first.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
out=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: tools/package.sh [--build-dir DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done

if [ ! -f "$build/build.ninja" ]; then
  tools/build.sh release
fi
cmake --build "$build" --target exitbrain exitbrain-sim >/dev/null

version=$(sed -n 's/^project(exitbrain VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "error: no version in CMakeLists.txt project()" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"  # the package's "/": mktemp made it 0700

install -D -m 0755 "$build/bin/exitbrain" "$root/usr/bin/exitbrain"
install -D -m 0755 "$build/bin/exitbrain-sim" "$root/usr/bin/exitbrain-sim"
strip --strip-unneeded "$root/usr/bin/exitbrain" "$root/usr/bin/exitbrain-sim"
install -D -m 0644 packaging/exitbrain.service "$root/lib/systemd/system/exitbrain.service"
install -D -m 0644 packaging/exitbrain.toml "$root/etc/exitbrain/exitbrain.toml"
install -D -m 0644 packaging/sysusers.d-exitbrain.conf "$root/usr/lib/sysusers.d/exitbrain.conf"
doc="$root/usr/share/doc/exitbrain"
install -D -m 0644 README.md "$doc/README.md"
install -D -m 0644 packaging/secrets.env.example "$doc/secrets.env.example"
install -D -m 0644 config/exitbrain.example.toml "$doc/exitbrain.example.toml"
install -d -m 0755 "$root/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm \
  "$root/DEBIAN/"
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"

# Depends: the Debian package of every shared library the binaries load, at least the
# version they were built against.
package_of() {  # a library's path -> its package (merged /usr: try both spellings)
  local lib="$1" alt
  dpkg-query -S "$lib" 2>/dev/null | head -n1 | cut -d: -f1 && return
  alt="${lib#/usr}"
  [ "$alt" = "$lib" ] && alt="/usr$lib"
  dpkg-query -S "$alt" 2>/dev/null | head -n1 | cut -d: -f1
}
depends=""
seen=" "
for lib in $(ldd "$build/bin/exitbrain" "$build/bin/exitbrain-sim" |
             awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do
  pkg=$(package_of "$(readlink -f "$lib")")
  [ -n "$pkg" ] || pkg=$(package_of "$lib")
  [ -n "$pkg" ] || { echo "error: no Debian package owns $lib" >&2; exit 1; }
  case "$seen" in *" $pkg "*) continue ;; esac
  seen="$seen$pkg "
  ver=$(dpkg-query -W -f='${Version}' "$pkg")
  depends="${depends:+$depends, }$pkg (>= $ver)"
done

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: exitbrain
Version: $version
Architecture: $arch
Maintainer: exitbrain engineers <exitbrain@localhost>
Installed-Size: $size
Depends: $depends
Recommends: systemd
Suggests: redis-server, prometheus
Section: net
Priority: optional
Description: exit engine for Binance USD-M perpetual futures positions
 Manages the exits of open positions: stop-loss, take-profit ladders, profit
 harvesting, trailing and time stops, with an exchange-side hard stop behind
 every position, a crash-safe state journal, a kill switch (exitbrain ctl),
 /metrics and /health on localhost, and a systemd unit (Type=notify, watchdog).
 Built for the CPU of the build machine (-march=native).
CONTROL

mkdir -p "$out"
deb="$out/exitbrain_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
