#!/usr/bin/python3
"""Prints the README's configuration table (markdown) from `sm4 config --keys` and the defaults.

Usage: scripts/config_table.py [path/to/sm4]   (default build/sm4); paste the output over the
table in README.md (a test fails when the README misses a key).
"""
import re
import subprocess
import sys

binary = sys.argv[1] if len(sys.argv) > 1 else "build/sm4"
defaults, section = {}, None
for line in subprocess.run([binary, "config"], capture_output=True, text=True, check=True).stdout.splitlines():
    if m := re.match(r"^\[(.*)\]$", line):
        section = m.group(1)
    elif m := re.match(r"^(\w+) = (.*?)\s+# default$", line):
        defaults[f"{section}.{m.group(1)}"] = m.group(2)

print("| key | type | default | meaning |\n|---|---|---|---|")
for line in subprocess.run([binary, "config", "--keys"], capture_output=True, text=True, check=True).stdout.splitlines():
    key, rest = line[:34].strip(), line[35:]
    kind, meaning = rest[:17].strip(), rest[18:].strip()
    default = defaults.get(key, "")
    if len(default) > 40:
        default = default[:37] + "..."
    print(f"| `{key}` | {kind} | `{default}` | {meaning} |")
