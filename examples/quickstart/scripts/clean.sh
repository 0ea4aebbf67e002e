#!/bin/sh
# clean.sh <orders|customers> <batch>: write the cleaned file, print its path last.
set -eu
kind="$1"
batch="$2"
mkdir -p out/clean
grep -v '^#' "out/raw/$batch.csv" > "out/clean/$kind-$batch.csv"
echo "cleaned $kind for $batch" >&2
echo "out/clean/$kind-$batch.csv"
