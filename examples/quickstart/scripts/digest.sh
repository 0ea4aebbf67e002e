#!/bin/sh
# Summarise every report of the week.
set -eu
cat out/reports/*.csv 2>/dev/null | awk -F, '{ total += $2 } END { printf "week total %.2f\n", total }'
