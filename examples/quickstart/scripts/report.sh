#!/bin/sh
# Build the revenue report from the cleaned orders; print the report path last.
set -eu
mkdir -p out/reports
report="out/reports/revenue-$BATCH.csv"
awk -F, 'NR > 1 { total += $3 } END { printf "total,%.2f\n", total }' "$ORDERS" > "$report"
echo "$report"
