#!/usr/bin/env bash
# Where `srmatrix inspect` spends its CPU on each input: `perf record` (cpu-clock samples), the
# samples' symbols grouped into components (tokenizing, aggregation, SHA-256, Parquet decoding,
# ...) by scripts/profile-buckets.py. docs/performance.md's per-shape table comes from it, over
# the inputs scripts/bench.sh generates.
#
# Usage: scripts/profile.sh SRMATRIX INPUT...
#   e.g. scripts/profile.sh target/release/srmatrix /tmp/srmatrix-bench/cur-1000000.csv
# Needs `perf` and python3. Run each input once beforehand so that it is in the page cache.
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin=$1
shift
data=$(mktemp)
trap 'rm -f "$data"' EXIT
for input in "$@"; do
    perf record -q -o "$data" -F 1999 "$bin" inspect "$input" >/dev/null 2>&1
    perf report -i "$data" --no-children --stdio --sort sym 2>/dev/null |
        python3 "$here/profile-buckets.py" "$(basename "$input")"
done
