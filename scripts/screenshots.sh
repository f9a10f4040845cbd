#!/usr/bin/env bash
# Regenerates the report images in docs/ from the bundled example:
#   docs/report-screenshot.png  the top of the HTML report (header, contents, summary cards,
#                               charts) at 1280 px wide, in headless Chromium;
#   docs/report-pdf-page1.png   the first page of the report printed to PDF by Chromium, at 100 dpi
#                               (at 60 dpi its table text is too small to read);
#   docs/register-pdf-page.png  the first page of the FedRAMP Moderate register (--framework
#                               fedramp-moderate), printed the same way.
# Needs Debian's chromium and poppler-utils (pdftoppm). The report's time is fixed, so the images
# only change when the report, the catalog or the bundled inventory does.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM not found: apt-get install chromium" >&2; exit 1; }
command -v pdftoppm >/dev/null || { echo "pdftoppm not found: apt-get install poppler-utils" >&2; exit 1; }

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/srmatrix"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" report --inventory inputs/inventory.csv --out "$tmp/out" --format html \
  --org "Northwind Analytics" --period 2026-Q3 --generated-at 2026-10-01T00:00:00Z
url="file://$tmp/out/report.html"

# Headless Chromium as these machines need it, with a fresh profile each time and a time limit.
chromium() {
  local profile
  profile=$(mktemp -d "$tmp/profile.XXXXXX")
  if ! timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$@" >"$tmp/chromium.log" 2>&1; then
    grep -v dbus "$tmp/chromium.log" | tail -20 >&2
    echo "chromium failed" >&2
    exit 1
  fi
}

chromium --screenshot="$tmp/screenshot.png" --window-size=1280,1400 --hide-scrollbars "$url"
chromium --print-to-pdf="$tmp/report.pdf" --no-pdf-header-footer --disable-pdf-tagging "$url"
pdftoppm -png -r 100 -f 1 -l 1 -singlefile "$tmp/report.pdf" "$tmp/pdf-page1"

"$bin" report --inventory inputs/inventory.csv --out "$tmp/register" --format html \
  --org "Northwind Analytics" --period 2026-Q3 --generated-at 2026-10-01T00:00:00Z \
  --framework fedramp-moderate
chromium --print-to-pdf="$tmp/register.pdf" --no-pdf-header-footer --disable-pdf-tagging \
  "file://$tmp/register/report.html"
page=""
for p in $(seq 1 80); do
  if pdftotext -f "$p" -l "$p" "$tmp/register.pdf" - 2>/dev/null | grep -q "Register: FedRAMP"; then
    page=$p
    break
  fi
done
[ -n "$page" ] || { echo "no register page found in the PDF" >&2; exit 1; }
pdftoppm -png -r 100 -f "$page" -l "$page" -singlefile "$tmp/register.pdf" "$tmp/register-page"

mkdir -p docs
cp "$tmp/screenshot.png" docs/report-screenshot.png
cp "$tmp/pdf-page1.png" docs/report-pdf-page1.png
cp "$tmp/register-page.png" docs/register-pdf-page.png
for f in docs/report-screenshot.png docs/report-pdf-page1.png docs/register-pdf-page.png; do
  echo "wrote $f ($(wc -c <"$f") bytes)"
done
