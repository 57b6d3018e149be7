"""Judges fe2-license's performance data with nagiosplugin, an independent implementation of
the Monitoring Plugins range syntax. Reads JSON rows {days, state, perfdata} (the check's own
output for a license with exactly `days` left) and fails when the state the ranges imply
(CRITICAL when the critical range alerts, else WARNING when the warning range alerts, else
OK) differs from the state the check reported. Usage: python perfdata-ranges.py ROWS.json"""
import json
import sys

from nagiosplugin import Range

rows = json.load(open(sys.argv[1], encoding="utf-8"))
wrong = []
for row in rows:
    # 'label'=value;warn;crit;min;max
    value, warn, crit = row["perfdata"].split("=", 1)[1].split(";")[:3]
    days = float(value)
    assert days == row["days"], row
    if not Range(crit).match(days):
        implied = "CRITICAL"
    elif not Range(warn).match(days):
        implied = "WARNING"
    else:
        implied = "OK"
    if implied != row["state"]:
        wrong.append((row, implied))
for row, implied in wrong[:20]:
    print(f"disagree: {row} -> nagiosplugin says {implied}")
print(f"{len(rows) - len(wrong)} agree, {len(wrong)} disagree")
sys.exit(1 if wrong or not rows else 0)
