"""Rewrites the registry table of docs/zoo.md from `attnzoo list --json` (run after adding modules).

Usage: python3 scripts/docs/zoo_table.py [.build/release/attnzoo]
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/release/attnzoo")
rows = json.loads(subprocess.check_output([binary, "list", "--json"]))
lines = ["| key | ID | class | paper | shape contract | parameters |", "|---|---|---|---|---|---|"]
for r in sorted(rows, key=lambda r: (r["id"], r["key"])):
    lines.append(f"| `{r['key']}` | {r['id']} | {r['class']} | {r['paper']} | {r['shape']} | {r['parameters']:,} |")
path = os.path.join(ROOT, "docs/zoo.md")
text = open(path).read()
table = re.compile(r"\| key \| ID \|.*?\n(?:\|.*\n)+", re.S)
assert table.search(text), "registry table not found in docs/zoo.md"
open(path, "w").write(table.sub("\n".join(lines) + "\n", text, count=1))
print(f"docs/zoo.md: {len(rows)} modules")
