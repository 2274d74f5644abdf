#!/usr/bin/env bash
# Build Strongbox and the benchmark in release mode, then run the benchmarks once.
#   ./bench.sh                  every benchmark (`strongbox-bench all`)
#   ./bench.sh SUBCOMMAND ...   one of them: floor-get, get4k, bigobject, policy-eval, get4k-iam,
#                               get4k-sts, assume-role, sts-scale, web-identity,
#                               custom-token, authz-latency, ldap, https;
#                               sts = assume-role + get4k-sts + sts-scale (issue #4's set)
# Prints a table and one `ratio NAME VALUE` line per ratio; JSON goes to target/bench/results.json.
# Other arguments are options (for example: ./bench.sh --duration 3 --size-mib 256).
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release -p strongbox -p strongbox-bench
sub=all
if [[ $# -gt 0 && $1 != -* ]]; then
    sub=$1
    shift
fi
exec target/release/strongbox-bench "$sub" "$@"
