#!/usr/bin/env bash
# Runs Quire's whole test suite on this machine, setting up what the tests need first:
#
#   - PostgreSQL: uses QUIRE_TEST_DATABASE_URL (or DATABASE_URL) when set; else the server on
#     127.0.0.1:5432, started if it is installed but stopped, installed (apt) if it is missing;
#   - Chromium and chromedriver for the browser tests (apt: chromium chromium-driver);
#   - nginx and PostgreSQL's server programs for the cluster tests (apt: nginx-light postgresql);
#   - Node.js packages of tests that use them (npm ci, from their committed lock files);
#   - Python's aiosmtpd for the e-mail tests (pip, pinned in tests/support/smtp-requirements.txt,
#     into the target directory; pip itself from apt when missing).
#
# What it cannot install (not root, no apt) stops it at once with one line that says what to
# install: no half-run suite. QUIRE_SKIP_BROWSER_TESTS=1, QUIRE_SKIP_CLUSTER_TESTS=1 and
# QUIRE_SKIP_MAIL_TESTS=1 skip a group (and what it needs); the summary at the end says which groups passed and which were
# skipped. Extra arguments go to every `cargo test` (for example `--release`).
set -euo pipefail
cd "$(dirname "$0")"

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
started=$(date +%s)
summary=()

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
stop() {
    printf 'test.sh: %s\n' "$*" >&2
    exit 2
}
skipping() { [ -n "${!1:-}" ] && [ "${!1}" != "0" ]; }
is_root() { [ "$(id -u)" = 0 ]; }
can_apt() { is_root && command -v apt-get >/dev/null; }

# apt_install WHAT OTHERWISE PACKAGE...: installs the packages, or stops saying what to do
apt_updated=""
apt_install() {
    local what=$1 otherwise=$2
    shift 2
    if ! can_apt; then
        stop "$what missing: install it (Debian/Ubuntu: sudo apt-get install -y $*), or $otherwise"
    fi
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=1
    fi
    echo "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

step "PostgreSQL"
if [ -n "${QUIRE_TEST_DATABASE_URL:-}${DATABASE_URL:-}" ]; then
    echo "using QUIRE_TEST_DATABASE_URL / DATABASE_URL"
else
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        if [ -z "$(pg_bin)" ]; then
            apt_install "PostgreSQL" \
                "set QUIRE_TEST_DATABASE_URL to a server where the user may create databases" \
                postgresql
        fi
        if command -v pg_ctlcluster >/dev/null && is_root; then
            version=$(basename "$(dirname "$(pg_bin)")")
            [ -d "/etc/postgresql/$version/main" ] || pg_createcluster "$version" main >/dev/null
            pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        else
            stop "PostgreSQL is installed but not running on 127.0.0.1:5432: start it (sudo pg_ctlcluster <version> main start), or set QUIRE_TEST_DATABASE_URL"
        fi
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
        pg_isready -q -h 127.0.0.1 -p 5432 ||
            stop "PostgreSQL did not start on 127.0.0.1:5432: see its log under /var/log/postgresql"
    fi
    # the tests connect as postgres over TCP; a new Debian server asks for a password there
    if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
        if is_root && command -v runuser >/dev/null; then
            runuser -u postgres -- psql -qc "alter user postgres password 'postgres'" >/dev/null
            export QUIRE_TEST_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres"
            echo "the tests sign in as postgres with a password set for them"
        else
            stop "cannot sign in to PostgreSQL on 127.0.0.1:5432 as postgres: set QUIRE_TEST_DATABASE_URL to a user that may create databases"
        fi
    fi
    pg_isready -h 127.0.0.1 -p 5432
fi

if skipping QUIRE_SKIP_BROWSER_TESTS; then
    summary+=("browser tests: skipped (QUIRE_SKIP_BROWSER_TESTS)")
else
    step "Chromium and chromedriver for the browser tests"
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        apt_install "Chromium" "set QUIRE_SKIP_BROWSER_TESTS=1 to skip the browser tests" \
            chromium chromium-driver
    fi
    # its launcher script may print a harmless shell warning
    chromium --version 2>/dev/null
    chromedriver --version
fi

if skipping QUIRE_SKIP_CLUSTER_TESTS; then
    summary+=("cluster tests: skipped (QUIRE_SKIP_CLUSTER_TESTS)")
else
    step "nginx and PostgreSQL's server programs for the cluster tests"
    if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
        apt_install "nginx" "set QUIRE_SKIP_CLUSTER_TESTS=1 to skip the cluster tests" nginx-light
    fi
    if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
        apt_install "PostgreSQL's server programs (initdb)" \
            "set QUIRE_SKIP_CLUSTER_TESTS=1 to skip the cluster tests" postgresql
    fi
    PATH="$PATH:/usr/sbin" nginx -v
    "$(pg_bin)/initdb" --version
fi

if skipping QUIRE_SKIP_MAIL_TESTS; then
    summary+=("e-mail tests: skipped (QUIRE_SKIP_MAIL_TESTS)")
else
    step "aiosmtpd (Python) for the e-mail tests"
    mail_otherwise="set QUIRE_SKIP_MAIL_TESTS=1 to skip the e-mail tests"
    command -v python3 >/dev/null || apt_install "Python 3" "$mail_otherwise" python3 python3-pip
    # the folder the tests look in by default: the build's target directory, tmp/
    target_dir=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    export QUIRE_TEST_PYTHONPATH="$target_dir/tmp/python-aiosmtpd"
    if ! PYTHONPATH="$QUIRE_TEST_PYTHONPATH" python3 -c 'import aiosmtpd' 2>/dev/null; then
        python3 -m pip --version >/dev/null 2>&1 || apt_install "pip" "$mail_otherwise" python3-pip
        echo "installing aiosmtpd into $QUIRE_TEST_PYTHONPATH"
        # --target: a folder of its own, which Debian's externally managed Python allows
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
            --upgrade --target "$QUIRE_TEST_PYTHONPATH" -r tests/support/smtp-requirements.txt ||
            stop "cannot install aiosmtpd from PyPI with pip: check the network, or $mail_otherwise"
    fi
    PYTHONPATH="$QUIRE_TEST_PYTHONPATH" python3 -c 'import aiosmtpd; print("aiosmtpd", aiosmtpd.__version__)'
fi

# Node.js packages of tests that use them, from their committed lock files
while IFS= read -r lock; do
    dir=$(dirname "$lock")
    step "npm ci in $dir"
    command -v npm >/dev/null || stop "npm missing: install Node.js 20 and npm (tests in $dir use them)"
    (cd "$dir" && npm ci --no-audit --no-fund)
done < <(find tests -name package-lock.json -not -path '*/node_modules/*' 2>/dev/null)

failed=0
step "cargo test (unit, API and browser tests)"
t=$(date +%s)
if QUIRE_SKIP_CLUSTER_TESTS=1 cargo test --locked "$@"; then
    summary=("unit, API and browser tests: passed in $(($(date +%s) - t)) s" "${summary[@]}")
else
    summary=("unit, API and browser tests: FAILED" "${summary[@]}")
    failed=1
fi
if ! skipping QUIRE_SKIP_CLUSTER_TESTS; then
    step "cargo test --test cluster (replicas behind nginx; figures below)"
    t=$(date +%s)
    if cargo test --locked "$@" --test cluster -- --nocapture; then
        summary+=("cluster tests: passed in $(($(date +%s) - t)) s")
    else
        summary+=("cluster tests: FAILED")
        failed=1
    fi
fi

step "summary ($(($(date +%s) - started)) s in all)"
if skipping QUIRE_SKIP_BROWSER_TESTS; then
    summary=("${summary[@]/unit, API and browser tests/unit and API tests}")
fi
printf '  %s\n' "${summary[@]}"
exit "$failed"
