#!/bin/sh
# Builds the seed corpora of every target under fuzz/corpus/<target>/ from the repository's
# fixtures. Large files are cut to their first lines, so that seeds stay small and fast.
set -eu
cd "$(dirname "$0")"
root=..
c=corpus
rm -rf "$c"
mkdir -p "$c/import_detect" "$c/import_forced" "$c/catalog" "$c/policy" "$c/template" "$c/markdown" \
    "$c/tokenize_differential" "$c/import_parquet"

n=0
seed_csv() { # file
    n=$((n + 1))
    head -n 40 "$1" | head -c 4000 > "$c/import_detect/seed-$n"
    # Every format index (0..8) in front of every seed for the forced target.
    for i in 0 1 2 3 4 5 6 7 8; do
        { printf "\\$(printf %o "$i")"; cat "$c/import_detect/seed-$n"; } > "$c/import_forced/seed-$n-$i"
    done
    # The first byte picks the chunk size of the differential target: 7 bytes, and the default.
    { printf '\007'; cat "$c/import_detect/seed-$n"; } > "$c/tokenize_differential/seed-$n-7"
    { printf '\000'; cat "$c/import_detect/seed-$n"; } > "$c/tokenize_differential/seed-$n-0"
}
for f in $(find "$root/tests/fixtures/formats" -name '*.csv' -o -name '*.txt' | sort) "$root/inputs/inventory.csv"; do
    seed_csv "$f"
done
zcat "$root/tests/fixtures/formats/legacy-cur/test_cur.csv.gz" > /tmp/srmatrix-fuzz-cur.csv
seed_csv /tmp/srmatrix-fuzz-cur.csv
rm -f /tmp/srmatrix-fuzz-cur.csv

# Parquet: every fixture with detection (byte 9) in front, and the saved inputs.
for f in "$root"/tests/fixtures/formats/parquet/*.parquet "$root"/tests/fixtures/formats/parquet/bad/*.parquet; do
    { printf '\011'; cat "$f"; } > "$c/import_parquet/$(basename "$f")"
done
find "$root/tests/fixtures/fuzz/import_parquet" -type f ! -name README.md -exec cp {} "$c/import_parquet/" \;

# Catalog: the first byte picks the file (order of CatalogSources::FILE_NAMES).
i=0
for f in catalog.toml services.csv controls.toml statements.toml billing-codes.csv; do
    { printf "\\$(printf %o "$i")"; head -c 6000 "$root/catalog/$f"; } > "$c/catalog/$f-head"
    { printf "\\$(printf %o "$i")"; head -n 12 "$root/catalog/$f"; } > "$c/catalog/$f-short"
    i=$((i + 1))
done

cp "$root/crates/model/src/starter-policy.toml" "$c/policy/starter-policy.toml"
grep -v '^#' "$root/crates/model/src/starter-policy.toml" > "$c/policy/starter-nocomments.toml"

cp "$root/templates/report.md" "$c/template/report.md"
head -n 60 "$root/templates/report.md" > "$c/template/report-head.md"

# Markdown: the catalog's Markdown prose and the README.
cp "$root/README.md" "$c/markdown/README.md"
cp "$root/catalog/SOURCES.md" "$c/markdown/SOURCES.md"
printf '[x](javascript:alert(1)) <script>a</script> ![i](http://e/p.png) a|b\n' > "$c/markdown/links"

# Tokenizer edge cases (also replayed by tests/fuzz_regressions.rs).
cp "$root"/tests/fixtures/fuzz/tokenize_differential/*.csv "$c/tokenize_differential/"
