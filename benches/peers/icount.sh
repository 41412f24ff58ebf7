#!/usr/bin/env bash
# Instruction counts for the peer table (issue 16 item 5): every line of
# `examples/icount.rs --list` (legcore and each peer, the bench's inputs and calls) run
# under callgrind, collecting only inside the driver's `icount_region`. Writes one JSON
# line per line, {"kind":"icount","id":...,"instr_per_op":...}, to $PEERS_OUT/icount.jsonl
# for perf_md.py. Counts are exact and repeatable: they judge a change where the VM's
# timings drift.
#
# Usage: benches/peers/icount.sh   (about 3 minutes; run.sh calls it)
# Needs valgrind (Debian `valgrind`); installed with apt-get when missing and root.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-$(pwd)/target}
export CARGO_TARGET_DIR=$target
out=${PEERS_OUT:-$target/peers}
mkdir -p "$out"
if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q valgrind >/dev/null
  else
    echo "icount.sh: valgrind is missing (apt-get install valgrind)" >&2
    exit 1
  fi
fi
cargo build -q --profile bench -p legcore-peers --example icount
bin=$target/release/examples/icount
: > "$out/icount.jsonl.tmp"
for id in $("$bin" --list); do
  log=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
    '--toggle-collect=*icount_region*' "$bin" "$id" 2>&1)
  ops=$(sed -n 's/^ops \([0-9]*\)$/\1/p' <<<"$log")
  ins=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' <<<"$log")
  if [ -z "$ops" ] || [ -z "$ins" ] || [ "$ins" = 0 ]; then
    echo "icount.sh: no count for $id:" >&2
    echo "$log" | tail -5 >&2
    exit 1
  fi
  per=$(python3 -c "print(round($ins / $ops, 2))")
  printf '{"kind":"icount","id":"%s","instr_per_op":%s}\n' "$id" "$per" \
    | tee -a "$out/icount.jsonl.tmp"
done
mv "$out/icount.jsonl.tmp" "$out/icount.jsonl"
