#!/usr/bin/env bash
# Build Strongbox and the benchmark in release mode, then run every benchmark once.
# Prints a table and one `ratio NAME VALUE` line per ratio; JSON goes to target/bench/results.json.
# Extra arguments go to `strongbox-bench all` (for example: ./bench.sh --duration 3 --size-mib 256).
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release -p strongbox -p strongbox-bench
exec target/release/strongbox-bench all "$@"
