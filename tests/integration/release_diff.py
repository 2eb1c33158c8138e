#!/usr/bin/env python3
"""Compares two releases written by `casa-metricsd --once --output DIR` the way
an attacker who keeps every release would (SPEC §5 "Releases").

    release_diff.py OLD_DIR NEW_DIR K [--revision]

Checks, over every table JSON of both releases:
  1. no published breakdown cell differs between the two releases by 1 to K-1
     in its numerator or denominator (a difference of a few children);
  2. unless --revision: every settled row (provisional false) of the old
     release is in the new one unchanged: same suppression, same numbers
     (frozen), totals included; no published row disappears.
Prints one line per violation kind with counts and the first identities
(metric, period type, breakdown, period, group: never a number) and exits 1
when there is any; prints the number of cells compared and exits 0 otherwise.
"""
import json
import os
import sys


def load(directory):
    tables = {}
    for root, _dirs, files in os.walk(directory):
        if os.path.samefile(root, directory):
            continue  # catalog, summary, quality...: not tables
        for name in files:
            if not name.endswith(".json"):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                body = json.load(f)
            if "rows" not in body or "metric" not in body:
                continue
            key = (body["metric"], body["period_type"], body["by"])
            rows = {}
            for row in body["rows"]:
                group = row.get(body["by"]) if body["by"] else None
                rows[(row["period"], group)] = row
            tables[key] = rows
    return tables


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    old, new, k = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
    revision = "--revision" in sys.argv[4:]
    small, changed, vanished, compared = [], [], [], 0
    for key, old_rows in old.items():
        new_rows = new.get(key, {})
        for cell, o in old_rows.items():
            n = new_rows.get(cell)
            ident = "%s %s by=%s %s %s" % (key[0], key[1], key[2], cell[0], cell[1])
            if n is None:
                if not o["provisional"]:
                    vanished.append(ident)
                continue
            compared += 1
            if key[2] is not None and not o["suppressed"] and not n["suppressed"]:
                for field in ("numerator", "denominator"):
                    a, b = o.get(field), n.get(field)
                    if a is not None and b is not None and 1 <= abs(a - b) <= k - 1:
                        small.append(ident + " " + field)
            if not revision and not o["provisional"]:
                same = o["suppressed"] == n["suppressed"] and all(
                    o.get(f) == n.get(f) for f in ("numerator", "denominator", "value"))
                if not same:
                    changed.append(ident)
    bad = False
    for name, items in (("differ by 1..k-1", small), ("settled cells changed", changed),
                        ("settled cells vanished", vanished)):
        if items:
            bad = True
            print("release_diff: %d %s, e.g. %s" % (len(items), name, "; ".join(items[:3])))
    if not bad:
        print("release_diff: %d cells compared, no violation" % compared)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
