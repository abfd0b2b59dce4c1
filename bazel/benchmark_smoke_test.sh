#!/usr/bin/env bash
# Runs a benchmark binary for a moment so that it keeps building and running.
set -euo pipefail
exec "$1" --benchmark_min_time=0.001 --benchmark_repetitions=1
