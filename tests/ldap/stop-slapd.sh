#!/usr/bin/env bash
# Stops the slapd that tests/ldap/start-slapd.sh DATA_DIR started, and waits until it is gone.
#   tests/ldap/stop-slapd.sh DATA_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DATA_DIR" >&2; exit 2; }
PIDFILE="$1/slapd.pid"
[ -f "$PIDFILE" ] || { echo "stop-slapd.sh: no $PIDFILE (not running)" >&2; exit 0; }
PID="$(cat "$PIDFILE")"
case "$PID" in '' | *[!0-9]*) echo "stop-slapd.sh: bad pid in $PIDFILE" >&2; exit 1 ;; esac
# Only a slapd started with this data dir's config is ours to stop.
if kill -0 "$PID" 2>/dev/null && tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -q "slapd.*$1"; then
    kill -TERM "$PID"
    for _ in $(seq 1 100); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$PID" 2>/dev/null && kill -KILL "$PID"
fi
rm -f "$PIDFILE"
