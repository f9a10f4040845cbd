#!/usr/bin/env bash
# How much of srmatrix's own code a fuzz corpus reaches: builds a fuzz target with LLVM source
# coverage, runs every input of each corpus directory once and prints the regions, lines and
# functions of `crates/` it executed (dependencies and the fuzz crate itself are left out).
#
# Usage: scripts/fuzz-coverage.sh TARGET DIR...
#   TARGET  a target of fuzz/ (catalog, template, import_detect, import_forced, policy, markdown)
#   DIR     corpus directories, e.g. fuzz/corpus/TARGET and hard-linked snapshots of it taken
#           while fuzzing (cp -al): the same count for successive snapshots means the fuzzer has
#           stopped reaching new code of ours, whatever it still finds inside the parsers it drives.
#
# Needs nightly Rust with cargo-fuzz and LLVM's llvm-profdata and llvm-cov of the same major
# version as nightly's LLVM (Debian: `apt-get install llvm-22`; found as llvm-profdata-22 or
# llvm-profdata). Set COVERAGE_TARGET_DIR to keep the build elsewhere (default
# target/fuzz-coverage).
set -euo pipefail

if [[ $# -lt 2 ]]; then
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
target=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
build=${COVERAGE_TARGET_DIR:-$root/target/fuzz-coverage}

major=$(rustc +nightly --version --verbose | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
tool() {
    for t in "$1-$major" "$1"; do
        if command -v "$t" > /dev/null; then
            echo "$t"
            return
        fi
    done
    echo "fuzz-coverage: $1 (LLVM $major) not found; on Debian: apt-get install llvm-$major" >&2
    exit 1
}
profdata=$(tool llvm-profdata)
cov=$(tool llvm-cov)

# cargo fuzz coverage builds the instrumented binary, then merges the profile of its run with the
# llvm-profdata of the toolchain; an empty corpus keeps that run trivial, and a toolchain without
# llvm-tools fails only at that merge.
empty=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$empty" "$work"' EXIT
(cd "$root/fuzz" && cargo +nightly fuzz coverage -O --target-dir "$build" "$target" "$empty" \
    -- -runs=0 > "$work/build.log" 2>&1) || true
rm -rf "$root/fuzz/coverage/$target"
host=$(rustc +nightly --version --verbose | sed -n 's/^host: //p')
bin="$build/$host/release/$target"
if [[ ! -x $bin ]]; then
    cat "$work/build.log" >&2
    exit 1
fi

for dir in "$@"; do
    rm -f "$work"/*.profraw
    LLVM_PROFILE_FILE="$work/%p-%m.profraw" "$bin" -runs=0 -max_len=8192 -timeout=60 "$dir" \
        > "$work/run.log" 2>&1 || { tail -n 20 "$work/run.log" >&2; exit 1; }
    "$profdata" merge -sparse "$work"/*.profraw -o "$work/all.profdata"
    "$cov" report -instr-profile="$work/all.profdata" "$bin" \
        --ignore-filename-regex='(\.cargo|/rustc/|/fuzz/)' > "$work/report.txt"
    # Columns: file, regions, missed, cover, functions, missed, executed, lines, missed, cover.
    # The total counts every file of crates/ linked into the target; the files the corpus
    # reaches follow it.
    printf '%s %s: %d inputs\n' "$target" "$dir" "$(find "$dir" -type f | wc -l)"
    awk '$2 ~ /^[0-9]+$/ && $2 > $3 {
            printf "  %-28s regions %5d of %5d, lines %5d of %5d, functions %4d of %4d\n",
                $1, $2 - $3, $2, $8 - $9, $8, $5 - $6, $5
        }' "$work/report.txt"
done
