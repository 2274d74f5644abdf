#!/usr/bin/env bash
# Starts a throwaway OpenLDAP slapd for the LDAP tests and benchmark (never a system service).
#
#   tests/ldap/start-slapd.sh DATA_DIR PORT [TLS_PORT]
#
# - DATA_DIR is wiped of any previous database and filled with a generated slapd.conf, an mdb
#   database seeded from tests/ldap/seed.ldif, slapd.log and slapd.pid.
# - slapd listens on ldap://127.0.0.1:PORT (plain, and StartTLS when TLS_PORT is given) and, with
#   TLS_PORT, on ldaps://127.0.0.1:TLS_PORT with a certificate generated here (openssl): the CA
#   that signed it is DATA_DIR/tls/ca.pem (SANs 127.0.0.1, ::1, localhost).
# - Runs as the current user (root or not), loads modules from /usr/lib/ldap, waits until
#   ldapsearch gets an answer, then prints slapd's pid on stdout (and nothing else there).
# - Stop it with tests/ldap/stop-slapd.sh DATA_DIR.
# Credentials, DNs and filters: tests/ldap/README.md.
set -euo pipefail

die() { printf 'start-slapd.sh: %s\n' "$*" >&2; exit 1; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $0 DATA_DIR PORT [TLS_PORT]"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
DATA="$(cd "$1" && pwd)"
PORT="$2"
TLS_PORT="${3:-}"
SLAPD="${SLAPD:-$(command -v slapd || echo /usr/sbin/slapd)}"
SLAPADD="${SLAPADD:-$(command -v slapadd || echo /usr/sbin/slapadd)}"
[ -x "$SLAPD" ] || die "slapd not found (Debian package slapd; test.sh installs it)"
[ -x "$SLAPADD" ] || die "slapadd not found (Debian package slapd)"
command -v ldapsearch >/dev/null || die "ldapsearch not found (Debian package ldap-utils)"
case "$PORT" in '' | *[!0-9]*) die "PORT must be a number" ;; esac
case "$TLS_PORT" in *[!0-9]*) die "TLS_PORT must be a number" ;; esac
SCHEMA=/etc/ldap/schema
[ -f "$SCHEMA/inetorgperson.schema" ] || die "$SCHEMA/inetorgperson.schema missing (Debian package slapd)"

# A slapd still running from this data dir is stopped first: a restart on the same port is a
# supported use (directory outage tests).
if [ -f "$DATA/slapd.pid" ]; then
    "$HERE/stop-slapd.sh" "$DATA" >/dev/null 2>&1 || true
fi
rm -rf "$DATA/db" "$DATA/slapd.conf" "$DATA/slapd.log" "$DATA/slapd.pid" "$DATA/slapd.args"
mkdir -p "$DATA/db"

TLS_CONF=""
URLS="ldap://127.0.0.1:$PORT/"
if [ -n "$TLS_PORT" ]; then
    command -v openssl >/dev/null || die "openssl not found (needed for TLS_PORT)"
    TLS="$DATA/tls"
    if [ ! -f "$TLS/server.pem" ] || [ ! -f "$TLS/ca.pem" ]; then
        rm -rf "$TLS" && mkdir -p "$TLS"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Strongbox test LDAP CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$TLS/ca.key" -out "$TLS/ca.pem" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
            -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
        printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n' >"$TLS/ext.cnf"
        openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
            -CAcreateserial -days 3650 -extfile "$TLS/ext.cnf" -out "$TLS/server.pem" 2>/dev/null
        chmod 600 "$TLS/server.key" "$TLS/ca.key"
    fi
    TLS_CONF="TLSCACertificateFile $TLS/ca.pem
TLSCertificateFile $TLS/server.pem
TLSCertificateKeyFile $TLS/server.key"
    URLS="$URLS ldaps://127.0.0.1:$TLS_PORT/"
fi

cat >"$DATA/slapd.conf" <<CONF
include $SCHEMA/core.schema
include $SCHEMA/cosine.schema
include $SCHEMA/inetorgperson.schema
include $SCHEMA/nis.schema
pidfile $DATA/slapd.pid
argsfile $DATA/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
loglevel none
$TLS_CONF

database mdb
maxsize 67108864
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw admin-secret
directory $DATA/db
index objectClass eq
index uid eq
index member eq
index cn eq

# Passwords: only for binding. Everything else: the lookup account reads, users read themselves.
access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by dn.exact="cn=lookup,dc=example,dc=org" read
    by self read
    by * none
CONF

"$SLAPADD" -q -f "$DATA/slapd.conf" -l "$HERE/seed.ldif" >"$DATA/slapadd.log" 2>&1 \
    || die "slapadd failed: $(cat "$DATA/slapadd.log")"

# -d 0 keeps slapd in the foreground of this background job so its pid is known at once and
# its start-up errors land in slapd.log; setsid detaches it from the caller's process group
# and no pipe of the caller is inherited (a test harness reading our stdout must not hang).
setsid "$SLAPD" -d 0 -f "$DATA/slapd.conf" -h "$URLS" </dev/null >"$DATA/slapd.log" 2>&1 &
PID=$!
echo "$PID" >"$DATA/slapd.pid"

for _ in $(seq 1 100); do
    if ! kill -0 "$PID" 2>/dev/null; then
        rm -f "$DATA/slapd.pid"
        die "slapd exited at start-up (port $PORT${TLS_PORT:+/$TLS_PORT} in use?): $(tail -n 20 "$DATA/slapd.log")"
    fi
    if ldapsearch -x -LLL -o nettimeout=1 -H "ldap://127.0.0.1:$PORT" -D cn=lookup,dc=example,dc=org \
        -w lookup-secret -b dc=example,dc=org -s base dn >/dev/null 2>&1; then
        echo "$PID"
        exit 0
    fi
    sleep 0.1
done
kill "$PID" 2>/dev/null || true
rm -f "$DATA/slapd.pid"
die "slapd did not answer on port $PORT within 10 s: $(tail -n 20 "$DATA/slapd.log")"
