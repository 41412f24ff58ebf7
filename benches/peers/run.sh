#!/usr/bin/env bash
# One command for the side-by-side peer comparison (issue 6): runs the criterion benches
# of benches/peers (legcore vs nautilus-model, hftbacktest, rtrb, ringbuf, crossbeam),
# the NautilusTrader Python side process in a venv it creates, the instruction counts
# (icount.sh, callgrind), and regenerates the
# section of PERF.md between <!-- peers:begin --> and <!-- peers:end -->.
#
# Usage: benches/peers/run.sh            (about 12 minutes on 2 cores; needs valgrind)
# Environment:
#   PEERS_MEASURE_SECS  criterion measurement time per line (default 2)
#   PEERS_VENV          venv for nautilus_trader (default target/peers-venv)
#   CARGO_TARGET_DIR    as usual (default target)
#   PEERS_LOCK          a file to flock around cargo and the timed run (optional), so that
#                       a concurrent build on a shared machine cannot disturb the timings
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
export CARGO_TARGET_DIR=$target
export PEERS_MEASURE_SECS=${PEERS_MEASURE_SECS:-2}
export PEERS_OUT=$target/peers
venv=${PEERS_VENV:-$target/peers-venv}
lock() { if [ -n "${PEERS_LOCK:-}" ]; then flock "$PEERS_LOCK" "$@"; else "$@"; fi; }

echo "=== venv with nautilus_trader==1.221.0 ($venv)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py_ok=1
"$venv/bin/python" -c 'import nautilus_trader' 2>/dev/null \
  || "$venv/bin/pip" install -q nautilus_trader==1.221.0 || py_ok=0

echo "=== criterion benches (cargo bench -p legcore-peers)"
mkdir -p "$PEERS_OUT"
rm -rf "$target/criterion/book_update" "$target/criterion/book_walk" \
  "$target/criterion/floor" "$target/criterion/spsc_rtt" "$target/criterion/spsc_throughput"
run_all() {
  cargo bench -p legcore-peers --bench peers 2>&1 | tee "$PEERS_OUT/bench.log"
  if [ "$py_ok" = 1 ]; then
    echo "=== NautilusTrader Python side process"
    "$venv/bin/python" benches/peers/python/nautilus_book.py "$PEERS_OUT/inputs.json" \
      | tee "$PEERS_OUT/python.jsonl"
  else
    echo "pip could not install nautilus_trader==1.221.0: Python rows left out" \
      | tee "$PEERS_OUT/python.jsonl"
  fi
  echo "=== instruction counts (callgrind, benches/peers/icount.sh)"
  benches/peers/icount.sh
}
export -f run_all
export py_ok venv
lock bash -c run_all

echo "=== PERF.md"
cat > "$PEERS_OUT/machine.json" <<JSON
{"cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')",
 "nproc": "$(nproc)", "date": "$(date -u +%Y-%m-%dT%H:%MZ)",
 "commit": "$(git rev-parse --short HEAD)", "rustc": "$(rustc -V)",
 "python": "$("$venv/bin/python" -c 'import platform; print(platform.python_version())')",
 "nautilus_trader": "$("$venv/bin/python" -c \
   'import nautilus_trader; print(nautilus_trader.__version__)' 2>/dev/null || echo none)",
 "measure_secs": "$PEERS_MEASURE_SECS"}
JSON
python3 benches/peers/perf_md.py "$target" "$PEERS_OUT/python.jsonl" PERF.md \
  "$PEERS_OUT/machine.json"
