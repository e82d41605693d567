# A real Nautobot server for the inventory tests (tests/scenario/test_inventory_nautobot.py). Sourced by
# .ci/run after PostgreSQL is up; runnable alone too: `source .ci/nautobot.sh && start_nautobot`.
#
# Nautobot goes into its own virtualenv (its Django pins must not meet the project's packages),
# under $NOC_NAUTOBOT_HOME (default: a folder in the temp dir, reused when the same version is
# already there). It needs PostgreSQL (its own database next to the store tests' one, on the
# server $NOC_TEST_POSTGRES_URL names, with synchronous_commit off: its ~480 migrations commit one by
# one, and a throwaway test database need not wait for each WAL flush) and Redis (Debian's redis-server, started on a free port).
# The server is seeded with a few devices (.ci/nautobot_seed.py) and an API token, served on
# 127.0.0.1, and NOC_TEST_NAUTOBOT_URL / NOC_TEST_NAUTOBOT_TOKEN are exported. Any step that
# fails says which and returns 1: the Nautobot tests then skip and say why; the rest still runs.

NAUTOBOT_VERSION=3.2.7
NAUTOBOT_DB=noc_nautobot

# The API answers (curl may be absent on a fresh machine; python3 is not).
_nb_answers() { python3 -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], headers={"Authorization": "Token " + sys.argv[2]}), timeout=5)' "$1" "$2" 2>/dev/null; }

_nb_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_nautobot() {
    local started=$SECONDS here home venv pg_port pg_user pg_password port redis_port token
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    home=${NOC_NAUTOBOT_HOME:-${TMPDIR:-/tmp}/noc-nautobot}
    venv=$home/venv
    mkdir -p "$home"
    [ -n "${NOC_TEST_POSTGRES_URL:-}" ] || { echo "nautobot: needs NOC_TEST_POSTGRES_URL (PostgreSQL)"; return 1; }
    if ! command -v redis-server >/dev/null; then
        [ "$(id -u)" = 0 ] || { echo "nautobot: redis-server is not installed (Debian package redis-server)"; return 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null || { echo "nautobot: could not install redis-server"; return 1; }
    fi
    if [ "$("$venv/bin/nautobot-server" --version 2>/dev/null | awk '/^Nautobot version/ {print $3}')" != "$NAUTOBOT_VERSION" ]; then
        python3 -m venv "$venv" && "$venv/bin/pip" install -q --upgrade pip >/dev/null \
            && "$venv/bin/pip" install -q "nautobot==$NAUTOBOT_VERSION" >/dev/null 2>"$home/pip.log" \
            || { echo "nautobot: pip install failed (see $home/pip.log)"; return 1; }
    fi
    echo "nautobot: installed after $((SECONDS - started)) s"

    # Its database, owned by the store tests' role, on the same server.
    read -r pg_user pg_password pg_port < <(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.username, p.password, p.port or 5432)' "$NOC_TEST_POSTGRES_URL")
    if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
        runuser -u postgres -- psql -q -p "$pg_port" -v ON_ERROR_STOP=1 <<SQL >/dev/null || { echo "nautobot: could not create database $NAUTOBOT_DB"; return 1; }
SELECT 'CREATE DATABASE $NAUTOBOT_DB OWNER $pg_user' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$NAUTOBOT_DB') \gexec
ALTER DATABASE $NAUTOBOT_DB SET synchronous_commit = off;
SQL
    fi

    redis_port=$(_nb_free_port)
    redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save '' --appendonly no \
        --pidfile "$home/redis.pid" --logfile "$home/redis.log" || { echo "nautobot: redis-server did not start"; return 1; }

    export NAUTOBOT_ROOT=$home/root NAUTOBOT_CONFIG=$home/root/nautobot_config.py
    export NAUTOBOT_DB_HOST=127.0.0.1 NAUTOBOT_DB_PORT=$pg_port NAUTOBOT_DB_USER=$pg_user NAUTOBOT_DB_PASSWORD=$pg_password NAUTOBOT_DB_NAME=$NAUTOBOT_DB
    export NAUTOBOT_REDIS_HOST=127.0.0.1 NAUTOBOT_REDIS_PORT=$redis_port NAUTOBOT_ALLOWED_HOSTS="127.0.0.1 localhost"
    export NAUTOBOT_SECRET_KEY=noc-ci-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz
    [ -f "$NAUTOBOT_CONFIG" ] || "$venv/bin/nautobot-server" init --disable-installation-metrics "$NAUTOBOT_CONFIG" >/dev/null \
        || { echo "nautobot: init failed"; return 1; }
    "$venv/bin/nautobot-server" migrate --no-input >"$home/migrate.log" 2>&1 || { echo "nautobot: migrate failed (see $home/migrate.log)"; return 1; }
    echo "nautobot: migrated after $((SECONDS - started)) s"
    token=$("$venv/bin/nautobot-server" nbshell -c "exec(open('$here/nautobot_seed.py').read())" 2>"$home/seed.log" | awk '/^TOKEN / {print $2}')
    [ -n "$token" ] || { echo "nautobot: seeding failed (see $home/seed.log)"; return 1; }

    port=$(_nb_free_port)
    nohup "$venv/bin/nautobot-server" runserver --noreload "127.0.0.1:$port" >"$home/server.log" 2>&1 &
    echo $! >"$home/server.pid"
    for _ in $(seq 1 120); do
        _nb_answers "http://127.0.0.1:$port/api/status/" "$token" && break
        sleep 1
    done
    _nb_answers "http://127.0.0.1:$port/api/status/" "$token" \
        || { echo "nautobot: the server did not answer on 127.0.0.1:$port (see $home/server.log)"; return 1; }
    export NOC_TEST_NAUTOBOT_URL="http://127.0.0.1:$port" NOC_TEST_NAUTOBOT_TOKEN=$token
    echo "nautobot $NAUTOBOT_VERSION: ready on $NOC_TEST_NAUTOBOT_URL after $((SECONDS - started)) s (NOC_TEST_NAUTOBOT_URL set)"
}
