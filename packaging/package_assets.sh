#!/usr/bin/env bash
# The files the Debian package installs that are made, not kept: the
# stripped binary, the man pages (one per command, from the CLI definition),
# the shell completions, and the installed config, whose [archive] path is
# the state directory's absolute one, so every command finds the archive
# from any working directory (`sudo herald-archiver status` included).
#
#   packaging/package_assets.sh BINARY OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
out=$2
mkdir -p "$out/man"
cp "$bin" "$out/herald-archiver"
strip "$out/herald-archiver"
"$bin" man --dir "$out/man" >/dev/null
"$bin" completions bash >"$out/herald-archiver.bash"
"$bin" completions zsh >"$out/_herald-archiver"
"$bin" completions fish >"$out/herald-archiver.fish"
sed -e 's#^path = "archive.db"#path = "/var/lib/herald-archiver/archive.db"#' \
    -e 's#^\# Relative paths resolve against the working directory; the systemd unit#\# The systemd unit keeps its state (the archive) in /var/lib/herald-archiver;#' \
    -e 's#^\# runs in /var/lib/herald-archiver.#\# reading it with sqlite3 needs root (the directory is 0750), or use `backup`.#' \
    config/herald.toml >"$out/config.toml"
grep -q '^path = "/var/lib/herald-archiver/archive.db"$' "$out/config.toml" || {
  echo "config/herald.toml's [archive] path is no longer \"archive.db\": update packaging/package_assets.sh" >&2
  exit 1
}
