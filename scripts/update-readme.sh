#!/usr/bin/env bash
# Writes the README's generated parts from the binary: the configuration key table between the
# markers "<!-- config-keys:begin -->" and "<!-- config-keys:end -->" (from `sm4 config --keys
# --markdown`). A test fails when the README differs from what this writes.
# Usage: scripts/update-readme.sh [path/to/sm4]   (default build/sm4)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-build/sm4}
table=$(mktemp)
trap 'rm -f "$table" README.md.new' EXIT
"$binary" config --keys --markdown >"$table"
python3 - "$table" <<'PY'
import sys
begin, end = "<!-- config-keys:begin -->\n", "<!-- config-keys:end -->\n"
text = open("README.md", encoding="utf-8").read()
table = open(sys.argv[1], encoding="utf-8").read()
a, b = text.index(begin) + len(begin), text.index(end)
open("README.md.new", "w", encoding="utf-8").write(text[:a] + table + text[b:])
PY
mv README.md.new README.md
echo "update-readme: README.md's configuration table is up to date"
