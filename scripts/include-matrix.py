#!/usr/bin/python3
"""Prints which folders of src/ include which (counts of #include lines), for a git revision or the
working tree: the picture tests/core/layering_test.cpp keeps one-way. Counts in bold break its rule.

Usage: scripts/include-matrix.py [REVISION]   (default: the working tree)
"""
import collections
import re
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
revision = sys.argv[1] if len(sys.argv) > 1 else None
if revision:
    names = subprocess.run(["git", "-C", root, "ls-tree", "-r", "--name-only", revision, "src"],
                           capture_output=True, text=True, check=True).stdout.split()
    def read(name):
        return subprocess.run(["git", "-C", root, "show", f"{revision}:{name}"], capture_output=True, text=True).stdout
else:
    names = [str(p.relative_to(root)) for p in (root / "src").rglob("*") if p.is_file()]
    def read(name):
        return (root / name).read_text(errors="replace")

counts = collections.defaultdict(collections.Counter)
for name in names:
    if not name.endswith((".h", ".cpp")):
        continue
    folder = name.split("/")[1]
    if folder == "pch":
        continue
    for target in re.findall(r'^\s*#\s*include\s+"([a-z_]+)/', read(name), re.M):
        counts[folder][target] += 1

# The rule of tests/core/layering_test.cpp: what each folder may include besides itself.
may_include = {
    "core": set(), "formats": {"core"}, "io": {"core", "formats"}, "platform": {"core"},
    "sweep": {"core", "io"}, "report": {"core", "io"}, "data": {"core", "formats", "io", "platform"},
    "model": {"core", "platform"}, "train": {"core", "io", "platform", "data", "model"},
    "bench": {"core", "io", "platform", "data", "model", "train"},
    "app": {"core", "io", "platform", "data", "model", "train", "sweep", "report", "bench"},
}

order = ["core", "formats", "io", "platform", "sweep", "report", "data", "model", "train", "bench", "app"]
folders = [f for f in order if f in counts] + sorted(set(counts) - set(order))
print("| includes -> | " + " | ".join(folders) + " |")
print("|---|" + "---:|" * len(folders))
for f in folders:
    cells = []
    for g in folders:
        n = counts[f][g]
        allowed = f == g or g in may_include.get(f, set())
        cells.append("" if n == 0 else (str(n) if allowed else f"**{n}**"))
    print(f"| {f} | " + " | ".join(cells) + " |")
