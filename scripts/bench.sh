#!/usr/bin/env bash
# End-to-end benchmark of `srmatrix report` on large generated billing exports, beside four
# references over the same files: `wc -l` (the scan floor), `sha256sum` (the floor of hashing every
# input, which the report does), `srmatrix-bench baseline` (a plain single-threaded csv-crate +
# flate2 loop grouping by account × service × team) and DuckDB doing equal work: GROUP BY account,
# product code, team, environment, classification and line-item type with count(*) and
# count(DISTINCT resource id), as a whole process with the DuckDB CLI (`duckdb` on PATH, or
# $DUCKDB; `pip install duckdb-cli`), else in-process from the Python package.
#
# Besides the standard CUR and FOCUS inputs it generates shapes that stress other paths (the
# generator's knobs): a share of quoted multi-line fields with commas and extra attribute columns,
# about 800,000 distinct (short-lived) resource ids, eight times the groups, and FOCUS with quoted
# fields and short-lived resources. With DuckDB installed it also turns the N-row CUR into a
# CUR 2.0 Parquet export (scripts/cur2-parquet.py) and measures srmatrix and DuckDB reading it.
#
# Usage: scripts/bench.sh [--rows N[,M]] [--runs K] [--dir DIR] [--tiny] [--regen]
#   --rows N[,M]  CUR, gzip CUR, FOCUS and CUR 2.0 Parquet inputs of N rows, and a CUR input of M rows
#                 (default 1000000,5000000; a single N skips the large input)
#   --runs K      runs per measurement; the median is reported (default 5)
#   --dir DIR     work directory for inputs, outputs and results.md
#                 (default $TMPDIR/srmatrix-bench, /tmp when TMPDIR is unset)
#   --tiny        --rows 2000,10000 --runs 1, built in the dev profile (what `cargo test` already
#                 built): a quick check that everything runs (CI); its timings mean nothing
#   --regen       generate the inputs again even if they are there
#
# Prints a Markdown report and writes it to DIR/results.md. Timings are reported, never checked:
# the script fails only when a command fails. CARGO_TARGET_DIR is respected (default: target).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

rows_spec="1000000,5000000"
runs=5
profile=release
dir="${TMPDIR:-/tmp}/srmatrix-bench"
regen=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rows) rows_spec="${2:?--rows needs N or N,M}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
        --dir) dir="${2:?--dir needs a directory}"; shift 2 ;;
        --tiny) rows_spec="2000,10000"; runs=1; profile=dev; shift ;;
        --regen) regen=1; shift ;;
        -h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
IFS=, read -r small large extra <<<"$rows_spec"
large=${large:-}
for n in "$small" ${large:+"$large"} "$runs"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: not a positive number: $n" >&2; exit 2; }
done
[[ -z "${extra:-}" ]] || { echo "bench.sh: --rows takes N or N,M" >&2; exit 2; }

target="${CARGO_TARGET_DIR:-target}"
[[ "$target" = /* ]] || target="$root/$target"
echo "building (cargo build --profile $profile -p srmatrix -p srmatrix-bench) ..." >&2
cargo build --profile "$profile" --quiet -p srmatrix -p srmatrix-bench >&2
# The dev profile's binaries are in target/debug.
bin="$target/$([[ $profile = dev ]] && echo debug || echo "$profile")"
srmatrix="$bin/srmatrix"
gen="$bin/srmatrix-bench"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
out="$dir/out"
logs="$dir/logs"
mkdir -p "$out" "$logs"

# Inputs depend only on the generator's output: drop them when a small sample of it changes.
fingerprint=$("$gen" gen --rows 2000 --format cur 2>/dev/null | cksum)$("$gen" gen --rows 2000 --format focus 2>/dev/null | cksum)
if [[ $regen -eq 1 || ! -f "$dir/.fingerprint" || "$(cat "$dir/.fingerprint")" != "$fingerprint" ]]; then
    rm -f "$dir"/cur-*.csv "$dir"/cur-*.csv.gz "$dir"/focus-*.csv "$dir"/cur2-*.parquet "$dir"/shape-*.csv
    printf '%s' "$fingerprint" >"$dir/.fingerprint"
fi

generation=()
generate() { # generate FILE ROWS FORMAT [--gzip]
    local file="$1" rows="$2" format="$3"
    shift 3
    if [[ ! -s "$file" ]]; then
        echo "generating $(basename "$file") ..." >&2
        "$gen" gen --rows "$rows" --format "$format" "$@" --out "$file.tmp" 2>"$logs/gen.log"
        mv "$file.tmp" "$file"
        generation+=("$(basename "$file"): $(sed 's/^wrote //' "$logs/gen.log")")
    fi
}

# label|file|rows|layout|uncompressed bytes file
inputs=()
generate "$dir/cur-$small.csv" "$small" cur
inputs+=("CUR|$dir/cur-$small.csv|$small|cur|$dir/cur-$small.csv")
generate "$dir/cur-$small.csv.gz" "$small" cur --gzip
inputs+=("CUR, gzip|$dir/cur-$small.csv.gz|$small|cur|$dir/cur-$small.csv")
generate "$dir/focus-$small.csv" "$small" focus
inputs+=("FOCUS|$dir/focus-$small.csv|$small|focus|$dir/focus-$small.csv")
# Other shapes: quoting and width, distinct resources, groups.
generate "$dir/shape-quoted-$small.csv" "$small" cur --quoted 30 --extra-columns 6
inputs+=("CUR, 30% quoted multi-line, +6 columns|$dir/shape-quoted-$small.csv|$small|cur|$dir/shape-quoted-$small.csv")
generate "$dir/shape-distinct-$small.csv" "$small" cur --short-lived 100
inputs+=("CUR, short-lived resources (~80% of rows distinct)|$dir/shape-distinct-$small.csv|$small|cur|$dir/shape-distinct-$small.csv")
generate "$dir/shape-groups-$small.csv" "$small" cur --team-variants 8
inputs+=("CUR, 8 variants per team (more groups)|$dir/shape-groups-$small.csv|$small|cur|$dir/shape-groups-$small.csv")
generate "$dir/shape-focus-$small.csv" "$small" focus --quoted 30 --short-lived 50
inputs+=("FOCUS, 30% quoted multi-line, half short-lived|$dir/shape-focus-$small.csv|$small|focus|$dir/shape-focus-$small.csv")
if [[ -n "$large" ]]; then
    generate "$dir/cur-$large.csv" "$large" cur
    inputs+=("CUR|$dir/cur-$large.csv|$large|cur|$dir/cur-$large.csv")
fi

have_duckdb=0
duckdb_version=""
duckdb_cli="${DUCKDB:-duckdb}"
if duckdb_version=$("$duckdb_cli" --version 2>/dev/null); then
    have_duckdb=2
    duckdb_version="CLI $duckdb_version"
elif duckdb_version=$(python3 -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null); then
    have_duckdb=1
    duckdb_version="Python $duckdb_version (in-process query time)"
fi
if python3 -c "import duckdb" 2>/dev/null; then
    # DuckDB's row groups, and the same rows in one row group (files smaller than their writer's
    # row group size), which srmatrix reads in a part per thread.
    for variant in "" one-group; do
        parquet="$dir/cur2-$small${variant:+-$variant}.parquet"
        if [[ ! -s "$parquet" ]]; then
            echo "converting cur-$small.csv to CUR 2.0 Parquet ${variant:+($variant)} ..." >&2
            python3 "$root/scripts/cur2-parquet.py" "$dir/cur-$small.csv" "$parquet.tmp" \
                ${variant:+"$small"}
            mv "$parquet.tmp" "$parquet"
            generation+=("$(basename "$parquet"): scripts/cur2-parquet.py over cur-$small.csv${variant:+, one row group} (DuckDB $duckdb_version)")
        fi
        inputs+=("CUR 2.0, Parquet${variant:+, one row group}|$parquet|$small|cur2parquet|$parquet")
    done
fi

median() { # median of the arguments
    printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
        if (NR % 2) printf "%.3f", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# measure NAME CMD...: runs CMD $runs times; sets wall (median seconds), rss (largest MB) and
# cpu (median CPU utilisation, user + system over wall, in %).
measure() {
    local name="$1"
    shift
    local times=() cpus=() peak=0 i start end kb
    for ((i = 1; i <= runs; i++)); do
        # The input read just before each run, untimed (see where `warm` is set).
        if [[ -n "${warm:-}" ]]; then cat "$warm" >/dev/null; fi
        start=$(date +%s%N)
        if ! /usr/bin/time -v -o "$logs/$name.time" "$@" >"$logs/$name.out" 2>"$logs/$name.err"; then
            echo "bench.sh: failed: $*" >&2
            tail -n 20 "$logs/$name.err" "$logs/$name.out" >&2
            exit 1
        fi
        end=$(date +%s%N)
        times+=("$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.3f", (e - s) / 1e9}')")
        kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$logs/$name.time")
        if ((kb > peak)); then peak=$kb; fi
        cpus+=("$(awk -F': ' '/Percent of CPU/ {sub("%", "", $2); print $2}' "$logs/$name.time")")
    done
    wall=$(median "${times[@]}")
    cpu=$(median "${cpus[@]}" | cut -d. -f1)
    rss=$(awk -v k="$peak" 'BEGIN {printf "%.0f", k / 1024}')
}

# The DuckDB query: one Python process runs it `runs` times and prints "median_seconds groups".
cat >"$logs/duckdb_query.py" <<'PY'
import statistics, sys, time
import duckdb
path, layout, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
source = path.replace("'", "''")
query = open(sys.argv[4]).read().replace("FILE", source)
con = duckdb.connect()
times = []
for _ in range(runs):
    start = time.perf_counter()
    groups = con.execute(query).fetchall()
    times.append(time.perf_counter() - start)
print(f"{statistics.median(times):.3f} {groups[0][0]}")
PY

# The equal work: srmatrix's grouping dimensions (account, product code, team, environment,
# classification, line-item type), rows and distinct resource ids per group; the outer query
# keeps the output small and checks the totals.
cat >"$logs/duckdb_cur.sql" <<'SQL'
SELECT count(*) AS groups, sum(n) AS rows, sum(d) AS distinct_ids FROM (
  SELECT "lineItem/UsageAccountId", "lineItem/ProductCode", "resourceTags/user:Team",
         "resourceTags/user:Environment", "resourceTags/user:DataClassification",
         "lineItem/LineItemType", count(*) AS n, count(DISTINCT "lineItem/ResourceId") AS d
  FROM read_csv('FILE', header = true, all_varchar = true)
  GROUP BY ALL);
SQL
cat >"$logs/duckdb_cur2parquet.sql" <<'SQL'
SELECT count(*) AS groups, sum(n) AS rows, sum(d) AS distinct_ids FROM (
  SELECT line_item_usage_account_id, line_item_product_code, resource_tags['user_team'],
         resource_tags['user_environment'], resource_tags['user_data_classification'],
         line_item_line_item_type, count(*) AS n, count(DISTINCT line_item_resource_id) AS d
  FROM read_parquet('FILE')
  GROUP BY ALL);
SQL
cat >"$logs/duckdb_focus.sql" <<'SQL'
SELECT count(*) AS groups, sum(n) AS rows, sum(d) AS distinct_ids FROM (
  SELECT SubAccountId, ServiceName, json_extract_string(Tags, '$.Team'),
         json_extract_string(Tags, '$.Environment'), json_extract_string(Tags, '$.DataClassification'),
         ChargeCategory, count(*) AS n, count(DISTINCT ResourceId) AS d
  FROM read_csv('FILE', header = true, all_varchar = true, nullstr = 'NULL')
  GROUP BY ALL);
SQL

fmt_int() { printf '%d' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", n / t; else printf "n/a" }'; }

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit (uncommitted changes)"
fi
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo unknown)

report="$dir/results.md"
{
    echo "# srmatrix benchmark"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "- machine: $(nproc) CPUs, $cpu, $mem memory, $(uname -sr)"
    echo "- srmatrix: commit $commit; $(rustc --version)"
    echo "- runs per measurement: $runs (median wall time; peak RSS is the largest of the runs)"
    if [[ $have_duckdb -ne 0 ]]; then
        echo "- DuckDB: $duckdb_version, default threads, equal work (six grouping columns, count(*), count(DISTINCT resource id))"
    else
        echo "- DuckDB: not installed (no duckdb CLI, python3 -c 'import duckdb' fails); its columns are empty"
    fi
    echo
    echo "srmatrix: \`srmatrix report --inventory FILE --format md,html,csv,json,xlsx,oscal --out DIR --generated-at 2026-01-01T00:00:00Z\`."
    echo "MB = 10^6 bytes; MB/s is over the uncompressed CSV bytes; RSS in MiB (2^20 bytes, as \`/usr/bin/time\` counts). baseline: \`srmatrix-bench baseline FILE\`."
    echo
    echo "import only: \`srmatrix inspect FILE\` (read, assess, no rendering)."
    echo
    echo "CPU %: user + system time over wall time (200% = both cores busy). ratio: srmatrix report over DuckDB."
    echo
    echo "| input | size MB | rows | srmatrix s | CPU % | MB/s | rows/s | RSS MiB | import only s | import RSS MiB | wc -l s | sha256sum s | baseline s | baseline RSS MiB | DuckDB s | DuckDB CPU % | DuckDB RSS MiB | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$report"

checks=()
for spec in "${inputs[@]}"; do
    IFS='|' read -r label file rows layout plain <<<"$spec"
    name=$(basename "$file")
    size=$(stat -c %s "$file")
    plain_mb=$(awk -v b="$(stat -c %s "$plain")" 'BEGIN {printf "%.3f", b / 1e6}')
    size_mb=$(awk -v b="$size" 'BEGIN {printf "%.1f", b / 1e6}')
    # Read before every timed run, so that each finds the input in the page cache: a kernel
    # that reclaims cold pages, as DAMON does here, drops parts of it between runs (another
    # program's hundreds of MiB are enough), and a run that read them from disk took 10-30%
    # longer (docs/performance.md, "How to measure").
    warm="$file"

    measure "$name.srmatrix" "$srmatrix" report --inventory "$file" \
        --format md,html,csv,json,xlsx,oscal --out "$out" --generated-at 2026-01-01T00:00:00Z
    s_wall=$wall s_rss=$rss s_cpu=$cpu
    summary=$(grep -E 'row\(s\) read' "$logs/$name.srmatrix.err" | tail -n 1 || true)

    measure "$name.inspect" "$srmatrix" inspect "$file"
    i_wall=$wall i_rss=$rss

    w_wall="n/a" b_wall="n/a" b_rss="n/a" b_out="n/a (Parquet)"
    if [[ "$layout" != cur2parquet ]]; then
        measure "$name.wc" wc -l "$file"
        w_wall=$wall

        measure "$name.baseline" "$gen" baseline "$file"
        b_wall=$wall b_rss=$rss
        b_out=$(cat "$logs/$name.baseline.out")
    fi

    measure "$name.sha256sum" sha256sum "$file"
    h_wall=$wall

    d_wall="" d_rss="" d_cpu="" d_groups="" ratio=""
    sql="$logs/duckdb_$layout.sql"
    if [[ $have_duckdb -eq 2 ]]; then
        quoted=${file//"'"/"''"}
        measure "$name.duckdb" "$duckdb_cli" -csv -noheader -c "$(sed "s|FILE|$quoted|" "$sql")"
        d_wall=$wall d_rss=$rss d_cpu=$cpu
        d_groups=$(cut -d, -f1 "$logs/$name.duckdb.out")
    elif [[ $have_duckdb -eq 1 ]]; then
        # One Python process runs the query $runs times: its RSS is the peak over all of them.
        saved=$runs
        runs=1
        measure "$name.duckdb" python3 "$logs/duckdb_query.py" "$file" "$layout" "$saved" "$sql"
        runs=$saved
        d_rss=$rss
        read -r d_wall d_groups <"$logs/$name.duckdb.out"
    fi
    if [[ -n "$d_wall" ]]; then
        ratio=$(awk -v s="$s_wall" -v d="$d_wall" 'BEGIN { if (d > 0) printf "%.2f", s / d }')
    fi

    echo "| $label | $size_mb | $(fmt_int "$rows") | $s_wall | $s_cpu | $(rate "$plain_mb" "$s_wall") | $(rate "$rows" "$s_wall" | cut -d. -f1) | $s_rss | $i_wall | $i_rss | $w_wall | $h_wall | $b_wall | $b_rss | $d_wall | $d_cpu | $d_rss | $ratio |" | tee -a "$report"
    checks+=("$name: srmatrix: ${summary:-?}; baseline: $b_out${d_groups:+; DuckDB: $d_groups groups}")
done

{
    echo
    echo "Checks (srmatrix's own summary line; the baseline's groups of three columns; DuckDB's groups of six):"
    echo
    for c in "${checks[@]}"; do echo "- $c"; done
    if [[ ${#generation[@]} -gt 0 ]]; then
        echo
        echo "Generated this run (srmatrix-bench gen):"
        echo
        for g in "${generation[@]}"; do echo "- $g"; done
    fi
} | tee -a "$report"
echo >&2
echo "report written to $report" >&2
