#!/usr/bin/env bash
# DuckDB and pandas read a journal written by `legcore run` with the one-line queries of
# docs/journal.md (the seal's `crc` is one more column, nothing else gets in the way),
# and see the typed schema: one row per line, `seq` 1..n, the `opened` line with schema
# 3, lower-case names, integers as integers, decimals as strings.
#
# Usage: bash tests/journal_readers.sh [PYTHON]
#   PYTHON: an interpreter that has duckdb and pandas. Without it, the script makes a
#   virtual environment in target/journal-readers-venv and installs the pinned versions
#   below from PyPI (python3 -m venv and pip; network to PyPI only).
# Prints "N passed, 0 failed" and exits 0 when every check holds, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

DUCKDB_VERSION=2.0.1
PANDAS_VERSION=3.1.1

py="${1:-}"
if [ -z "$py" ]; then
  venv=target/journal-readers-venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "duckdb==$DUCKDB_VERSION" "pandas==$PANDAS_VERSION"
  py="$venv/bin/python"
fi

cargo build --quiet --bin legcore
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The faulty scenario at full speed: every line kind a run writes (started, sent with
# each command, report with each event, ended, refused when risk says no).
target/debug/legcore run --quiet --speed max --scenario scenarios/carry_faults.toml \
  --journal "$work/j" >/dev/null || [ $? -eq 3 ]
# A fleet of two instances (one directory each, as docs/journal.md lays them out): the
# faulty run and the default scenario's.
mkdir -p "$work/fleet/tokyo" "$work/fleet/frankfurt"
cp "$work/j/journal.jsonl" "$work/fleet/tokyo/journal.jsonl"
target/debug/legcore run --quiet --speed max --journal "$work/fleet/frankfurt" >/dev/null \
  || [ $? -eq 3 ]

"$py" - "$work/j/journal.jsonl" "$work/fleet" <<'PY'
import json
import sys

import duckdb
import pandas

path = sys.argv[1]
with open(path) as f:
    n = sum(1 for _ in f)
checks = []


def check(name, ok):
    checks.append(ok)
    print(("ok   " if ok else "FAIL ") + name)


# DuckDB: the doc's query.
rel = duckdb.sql(f"SELECT * FROM read_json_auto('{path}')")
types = dict(zip(rel.columns, [str(t) for t in rel.types]))
rows = rel.fetchall()
check(f"duckdb reads one row per line ({len(rows)} of {n})", len(rows) == n)
seq = [r[0] for r in duckdb.sql(f"SELECT seq FROM read_json_auto('{path}')").fetchall()]
check("duckdb: seq is 1..n in order", seq == list(range(1, n + 1)))
first = duckdb.sql(
    f"SELECT kind, schema FROM read_json_auto('{path}') WHERE seq = 1").fetchall()
check("duckdb: the first line is opened, schema 3", first == [("opened", 3)])
check("duckdb: integers are integers",
      all(types.get(c) == "BIGINT" for c in ["seq", "t_ns", "client_id", "fill_lots"]))
check("duckdb: the seal is a string column", types.get("crc") == "VARCHAR")
names = duckdb.sql(
    f"SELECT DISTINCT side FROM read_json_auto('{path}') WHERE side IS NOT NULL").fetchall()
check("duckdb: sides are buy and sell", sorted(names) == [("buy",), ("sell",)])
fills = duckdb.sql(
    f"SELECT client_id, trade_id, fill_lots, fill_price_ticks FROM read_json_auto('{path}') "
    "WHERE event = 'filled'").fetchall()
check(f"duckdb: {len(fills)} fills, each with positive lots and price",
      len(fills) > 0 and all(f[2] > 0 and f[3] > 0 for f in fills))
qty = duckdb.sql(
    f"SELECT typeof(legs[1].qty), legs[1].qty FROM read_json_auto('{path}') "
    "WHERE kind = 'started' LIMIT 1").fetchall()
unplaced = duckdb.sql(
    f"SELECT count(*) FROM read_json_auto('{path}') "
    "WHERE kind = 'sent' AND venue_index IS NULL").fetchall()
check("duckdb: every sent line names its venue", unplaced == [(0,)])
check("duckdb: a fill's fee is exact integer text", types.get("fee_tl_e8") == "VARCHAR")
check("duckdb: a decimal stays exact text", qty and qty[0][0] == "VARCHAR" and "." in qty[0][1])

# pandas: the doc's call.
df = pandas.read_json(path, lines=True, dtype_backend="numpy_nullable")
check(f"pandas reads one row per line ({len(df)} of {n})", len(df) == n)
check("pandas: seq is 1..n in order", list(df["seq"]) == list(range(1, n + 1)))
check("pandas: integer columns stay integers",
      all(str(df[c].dtype) == "Int64" for c in ["t_ns", "trade_id", "fill_lots"]))
kinds = set(df["kind"])
known = {"opened", "resumed", "started", "unwind_started", "refused", "sent", "report",
         "ended", "unwind_ended", "reconciled", "unwind"}
check(f"pandas: every kind is a schema kind ({', '.join(sorted(kinds))})", kinds <= known)
ended = pandas.json_normalize(list(df[df["kind"] == "ended"]["group"]))
check(f"pandas: {len(ended)} ended groups with their ids", len(ended) > 0 and ended["id"].notna().all())
check("pandas and duckdb agree on the fills",
      int(df[df["event"] == "filled"]["fill_lots"].sum()) == sum(f[2] for f in fills))

# The fleet: every instance's journal in one table with one statement (docs/journal.md).
fleet = sys.argv[2]
duckdb.sql(
    "CREATE TABLE fleet AS "
    "SELECT regexp_extract(filename, '([^/]+)/journal[.]jsonl$', 1) AS instance, * "
    f"FROM read_json_auto('{fleet}/*/journal.jsonl', filename = true, "
    "union_by_name = true, sample_size = -1)")
per = dict(duckdb.sql("SELECT instance, count(*) FROM fleet GROUP BY instance").fetchall())
want = {}
fills_want = {}
for inst in ("tokyo", "frankfurt"):
    with open(f"{fleet}/{inst}/journal.jsonl") as f:
        lines = [json.loads(line) for line in f]
    want[inst] = len(lines)
    fills_want[inst] = sum(x.get("fill_lots", 0) for x in lines if x.get("event") == "filled")
check(f"duckdb fleet: one row per line per instance {per}", per == want)
fills_got = dict(duckdb.sql(
    "SELECT instance, sum(fill_lots) FROM fleet WHERE event = 'filled' "
    "GROUP BY instance").fetchall())
check(f"duckdb fleet: fills per instance {fills_got}", fills_got == fills_want)

failed = checks.count(False)
print(f"{len(checks) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
