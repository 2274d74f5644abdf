#!/usr/bin/env bash
# The one test command for Strongbox (CI runs exactly this, via .ci/run).
#
# On a fresh Debian machine with the Rust toolchain it installs what the tests need (as root,
# apt-get only for what is missing; the Python clients into .venv from PyPI), builds the
# workspace, runs `cargo test --workspace`, then the Python end-to-end tests against the built
# binary. A missing dependency is always a failure, never a skip.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
REPO_ROOT="$(pwd)"
VENV="$REPO_ROOT/.venv"
REQUIREMENTS="$REPO_ROOT/tests/python/requirements.txt"
LOG_DIR="$REPO_ROOT/target/test-logs"
CI="${CI:-false}"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

# ---------------------------------------------------------------------------------------------
# 1. What the tests need.
# ---------------------------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (rust-toolchain.toml pins it)"

apt_updated=false
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        die "missing $*: run as root so test.sh can apt-get install it, or install it yourself"
    fi
    command -v apt-get >/dev/null || die "missing $* and no apt-get to install it with"
    if [ "$apt_updated" = false ]; then
        apt-get update -qq
        apt_updated=true
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v python3 >/dev/null; then
    say "installing python3"
    apt_install python3 python3-venv python3-pip
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    say "installing python3-venv"
    apt_install python3-venv python3-pip
fi

# The venv is reused while requirements.txt is unchanged (and still imports).
req_hash="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
stamp="$VENV/.requirements.sha256"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$req_hash" ] \
    || ! "$VENV/bin/python" -c 'import boto3, minio, pytest, awscli' 2>/dev/null; then
    say "setting up $VENV (pip install -r tests/python/requirements.txt)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$req_hash" >"$stamp"
fi
[ -x "$VENV/bin/aws" ] || die "aws CLI missing from $VENV after pip install"

# The OpenID tests run a real third-party provider (npm oauth2-mock-server, tests/oidc) on node.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "installing nodejs and npm"
    apt_install nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 18 ] || die "node $(node --version) is too old for tests/oidc (needs >= 18.12)"
oidc_hash="$(sha256sum tests/oidc/package-lock.json | cut -d' ' -f1)"
oidc_stamp="tests/oidc/node_modules/.package-lock.sha256"
if [ "$(cat "$oidc_stamp" 2>/dev/null)" != "$oidc_hash" ]; then
    say "installing the test OpenID provider (npm ci in tests/oidc)"
    (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
    echo "$oidc_hash" >"$oidc_stamp"
fi

# The AssumeRoleWithCertificate tests (crates/strongbox/tests/sts_certificate.rs) drive MinIO's
# documented curl call with a client certificate.
if ! command -v curl >/dev/null; then
    say "installing curl"
    apt_install curl
fi

# The LDAP tests start a throwaway slapd (Debian's OpenLDAP server) on 127.0.0.1 with its own data dir;
# no system service is used. ldap-utils gives ldapadd/ldapsearch for seeding and checks.
if ! command -v slapd >/dev/null && [ ! -x /usr/sbin/slapd ] || ! command -v ldapadd >/dev/null; then
    say "installing slapd and ldap-utils"
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections 2>/dev/null || true
    apt_install slapd ldap-utils
fi

# Fresh logs each run: the summary counts what these logs say, never a previous run's.
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"

# ---------------------------------------------------------------------------------------------
# 2. Build, then every suite. Each step runs even if an earlier one failed; the summary says all.
# ---------------------------------------------------------------------------------------------
declare -a STEP_NAMES=() STEP_RESULTS=() STEP_SECONDS=()
run_step() {
    local name="$1"; shift
    local log="$LOG_DIR/$name.log"
    local start status
    say "$name: $*"
    start="$(now)"
    set +e
    "$@" 2>&1 | tee "$log"
    status="${PIPESTATUS[0]}"
    set -e
    STEP_NAMES+=("$name")
    STEP_SECONDS+=("$(( $(now) - start ))")
    if [ "$status" = 0 ]; then STEP_RESULTS+=("ok"); else STEP_RESULTS+=("FAILED (exit $status)"); fi
    return 0
}

# A fresh clone gains nothing from incremental compilation; in CI it only costs disk (gigabytes).
if [ "$CI" = true ]; then export CARGO_INCREMENTAL=0; fi
mkdir -p target
say "disk before the build: $(df -h --output=avail target | tail -n 1 | tr -d ' ') free under target/"
run_step build cargo build --workspace --all-targets
if [ "${STEP_RESULTS[0]}" = ok ]; then
    run_step cargo-test cargo test --workspace --no-fail-fast
    STRONGBOX_BIN="$REPO_ROOT/target/debug/strongbox" \
        run_step pytest "$VENV/bin/python" -m pytest tests/python -q -rfE
fi

# ---------------------------------------------------------------------------------------------
# 3. Summary: per step, and the test counts of every runner added up.
# ---------------------------------------------------------------------------------------------
passed=0
failed=0
if [ -f "$LOG_DIR/cargo-test.log" ]; then
    # "test result: ok. 57 passed; 4 failed; 0 ignored; ..."
    read -r p f < <(awk '/^test result:/ {
            for (i = 1; i <= NF; i++) {
                if ($(i+1) ~ /^passed;?$/) p += $i
                if ($(i+1) ~ /^failed;?$/) f += $i
            }
        } END { print p + 0, f + 0 }' "$LOG_DIR/cargo-test.log")
    passed=$((passed + p)); failed=$((failed + f))
fi
if [ -f "$LOG_DIR/pytest.log" ]; then
    # "1 failed, 10 passed, 2 errors in 68.76s": pytest's closing line; errors count as failures.
    read -r p f < <(grep -E '[0-9]+ (passed|failed|errors?)' "$LOG_DIR/pytest.log" | tail -n 1 \
        | awk '{ for (i = 1; i < NF; i++) {
                    w = $(i+1); gsub(/[^a-z]/, "", w)
                    if (w == "passed") p += $i
                    if (w == "failed" || w == "error" || w == "errors") f += $i
                } } END { print p + 0, f + 0 }')
    passed=$((passed + p)); failed=$((failed + f))
fi

say "summary (logs in target/test-logs/)"
overall=0
for i in "${!STEP_NAMES[@]}"; do
    printf '  %-11s %-20s %5ss\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_SECONDS[$i]}"
    [ "${STEP_RESULTS[$i]}" = ok ] || overall=1
done
if [ "${#STEP_NAMES[@]}" -lt 3 ]; then
    echo "  (build failed: tests not run)"
    overall=1
fi
if [ -f "$LOG_DIR/cargo-test.log" ]; then
    grep -E '^test .* FAILED$' "$LOG_DIR/cargo-test.log" | sed 's/^/  cargo: /' || true
fi
if [ -f "$LOG_DIR/pytest.log" ]; then
    grep -E '^(FAILED|ERROR) ' "$LOG_DIR/pytest.log" | sed 's/^/  pytest: /' || true
fi
if [ "$overall" = 0 ] && [ "$failed" = 0 ]; then
    echo "  result: all suites passed"
else
    echo "  result: FAILURES"
    overall=1
fi
echo "tests: $passed passed, $failed failed"
exit "$overall"
