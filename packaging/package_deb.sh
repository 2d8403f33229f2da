#!/usr/bin/env bash
# Builds the Debian package (cargo-deb, installed on first use) and checks
# that it holds what an install needs: the binary in /usr/bin, the unit, the
# config in /etc marked as a conffile, the man page and shell completions
# (generated from the CLI definition), and the documentation.
#
#   packaging/package_deb.sh            -> target/debian/herald-archiver_*.deb
#   sudo apt install ./target/debian/herald-archiver_*_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deb --version >/dev/null 2>&1; then
  echo "installing cargo-deb (first run only; a few minutes of compiling)..." >&2
  cargo install cargo-deb --locked --quiet
fi
cargo build --release --locked --quiet
rm -rf target/assets
packaging/package_assets.sh target/release/herald-archiver target/assets
deb=$(cargo deb --no-build --no-strip --quiet 2>/dev/null | tail -1)
[ -f "$deb" ] || deb=$(ls -t target/debian/herald-archiver_*.deb | head -1)
echo "package: $deb"

contents=$(dpkg-deb -c "$deb")
missing=0
for path in \
  ./usr/bin/herald-archiver \
  ./etc/herald-archiver/config.toml \
  ./usr/lib/systemd/system/herald-archiver.service \
  ./usr/share/man/man1/herald-archiver.1 \
  ./usr/share/man/man1/herald-archiver-crawl.1 \
  ./usr/share/bash-completion/completions/herald-archiver \
  ./usr/share/zsh/vendor-completions/_herald-archiver \
  ./usr/share/fish/vendor_completions.d/herald-archiver.fish \
  ./usr/share/doc/herald-archiver/README.md; do
  if grep -q " $path\$" <<<"$contents" || grep -q " ${path}.gz\$" <<<"$contents"; then
    echo "ok       $path"
  else
    echo "MISSING  $path"; missing=1
  fi
done
conffiles=$(dpkg-deb -f "$deb" Package >/dev/null && dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles 2>/dev/null || true)
if grep -qx "/etc/herald-archiver/config.toml" <<<"$conffiles"; then
  echo "ok       /etc/herald-archiver/config.toml is a conffile"
else
  echo "MISSING  conffile /etc/herald-archiver/config.toml"; missing=1
fi
control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
for script in postinst prerm postrm; do
  if grep -qx "./$script" <<<"$control"; then
    echo "ok       maintainer script $script (daemon-reload; stop and disable on removal)"
  else
    echo "MISSING  maintainer script $script"; missing=1
  fi
done
size=$(dpkg-deb -f "$deb" Installed-Size)
echo "installed size: $size KiB; the binary $(( $(stat -c %s target/assets/herald-archiver) / 1024 / 1024 )) MiB stripped"
exit $missing
