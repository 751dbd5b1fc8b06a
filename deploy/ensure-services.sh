#!/usr/bin/env bash
# Make sure the local services that eldernet's tests, demo and bench talk to are up:
#   - RabbitMQ on 127.0.0.1:5672 (guest/guest) with rabbitmq_management (HTTP API on 15672),
#     rabbitmq_shovel and rabbitmq_shovel_management enabled;
#   - PostgreSQL on 127.0.0.1:5432, user postgres without password, database eldernet_test.
# Installs (Debian packages, as root), starts and configures only what is missing, so a second run
# when everything is up takes about a second.
#
# Environment:
#   ELDERNET_SKIP_SERVICES=1   do nothing (you run your own broker and database)
#   ELDERNET_SERVICE_TIMEOUT   seconds to wait for a service to come up (default 120)
set -euo pipefail

log() { printf '[eldernet] %s\n' "$*"; }
die() { printf '[eldernet] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ "${ELDERNET_SKIP_SERVICES:-0}" == 1 ]]; then
    log "ELDERNET_SKIP_SERVICES=1: not checking RabbitMQ or PostgreSQL"
    exit 0
fi

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive

AMQP_HOST=127.0.0.1
AMQP_PORT=5672
MGMT_URL=http://127.0.0.1:15672
RABBIT_USER=guest
RABBIT_PASS=guest
RABBIT_PLUGINS=(rabbitmq_management rabbitmq_shovel rabbitmq_shovel_management)
RABBIT_NOFILE=65536
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
PG_TEST_DB=eldernet_test
TIMEOUT=${ELDERNET_SERVICE_TIMEOUT:-120}

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

have() { command -v "$1" >/dev/null 2>&1; }

# Fail with the exact command a root user would run, when we are not root.
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
need_root() { # what command
    (( IS_ROOT )) && return 0
    die "$1 needs root. Run as root:
    $2
  or let this script do all of it:  sudo $SELF
  or, if you run your own RabbitMQ/PostgreSQL:  export ELDERNET_SKIP_SERVICES=1"
}

APT_UPDATED=0
apt_install() { # package...
    need_root "installing $*" "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $*"
    if (( ! APT_UPDATED )); then
        log "apt-get update"
        apt-get update -q
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    apt-get install -y -q "$@"
}

tcp_open() { # host port
    timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# GET a management API path as guest; prints the body; status 0 only for HTTP 2xx.
# curl when present, else python3 (a minimal Debian has no curl).
mgmt_get() { # path
    if have curl; then
        curl -fsS --max-time 3 -u "$RABBIT_USER:$RABBIT_PASS" "$MGMT_URL$1" 2>/dev/null
    else
        python3 - "$MGMT_URL$1" "$RABBIT_USER" "$RABBIT_PASS" 2>/dev/null <<'EOF'
import base64, sys, urllib.request
url, user, password = sys.argv[1:4]
req = urllib.request.Request(url)
req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
sys.stdout.write(urllib.request.urlopen(req, timeout=3).read().decode())
EOF
    fi
}

# HTTP status code of a management API path (000 when nothing answers).
mgmt_status() { # path
    if have curl; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 3 -u "$RABBIT_USER:$RABBIT_PASS" "$MGMT_URL$1" 2>/dev/null || true
    else
        python3 - "$MGMT_URL$1" "$RABBIT_USER" "$RABBIT_PASS" 2>/dev/null <<'EOF' || echo 000
import base64, sys, urllib.error, urllib.request
url, user, password = sys.argv[1:4]
req = urllib.request.Request(url)
req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
try:
    print(urllib.request.urlopen(req, timeout=3).status)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
    fi
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ
# ---------------------------------------------------------------------------------------------

RABBIT_VERSION=
# Everything up and configured? Cheap: a TCP probe and two HTTP calls, no Erlang CLI.
# /api/overview answers only with rabbitmq_management running and guest/guest valid;
# /api/shovels only with rabbitmq_shovel_management (which needs rabbitmq_shovel) running.
rabbit_ready() {
    tcp_open "$AMQP_HOST" "$AMQP_PORT" || return 1
    local overview
    overview=$(mgmt_get /api/overview) || return 1
    mgmt_get /api/shovels >/dev/null || return 1
    RABBIT_VERSION=$(sed -n 's/.*"rabbitmq_version":"\([^"]*\)".*/\1/p' <<<"$overview")
}

rabbit_start() {
    # Debian's /usr/sbin/rabbitmq-server, run by root, switches to the rabbitmq user through `su`,
    # whose pam_limits resets the soft open-files limit to 1024 (about 832 AMQP connections).
    # Raise the hard limit as far as we may, then let the rabbitmq user raise its soft limit up to
    # it before starting the same wrapper, so the broker gets min(65536, hard limit).
    ulimit -Hn "$RABBIT_NOFILE" 2>/dev/null || true
    local hard nofile
    hard=$(ulimit -Hn)
    if [[ $hard == unlimited ]] || (( hard >= RABBIT_NOFILE )); then nofile=$RABBIT_NOFILE; else nofile=$hard; fi
    log "rabbitmq: starting (rabbitmq-server -detached, open files limit $nofile)"
    su rabbitmq -s /bin/sh -c "ulimit -n $nofile 2>/dev/null || true; cd /var/lib/rabbitmq && exec /usr/sbin/rabbitmq-server -detached"
}

rabbit_await() {
    local deadline=$((SECONDS + TIMEOUT))
    # await_startup fails at once while the freshly started node is not yet registered with epmd;
    # retry until the deadline.
    until rabbitmqctl -q -t 10 await_startup >/dev/null 2>&1; do
        (( SECONDS < deadline )) || die "rabbitmq: not started after ${TIMEOUT}s; see /var/log/rabbitmq/"
        sleep 1
    done
    until tcp_open "$AMQP_HOST" "$AMQP_PORT"; do
        (( SECONDS < deadline )) || die "rabbitmq: node is up but nothing listens on $AMQP_HOST:$AMQP_PORT (check listeners in /etc/rabbitmq/rabbitmq.conf)"
        sleep 0.5
    done
}

# A fresh install names the node rabbit@$(hostname -s); where that name does not resolve (some
# containers), the node cannot start. Use rabbit@localhost then, before the first start only.
rabbit_fix_nodename() {
    local envconf=/etc/rabbitmq/rabbitmq-env.conf
    getent hosts "$(hostname -s)" >/dev/null 2>&1 && return 0
    grep -qs '^[[:space:]]*NODENAME=' "$envconf" && return 0
    log "rabbitmq: hostname '$(hostname -s)' does not resolve: setting NODENAME=rabbit@localhost in $envconf"
    mkdir -p /etc/rabbitmq
    printf '# added by eldernet deploy/ensure-services.sh: the hostname does not resolve\nNODENAME=rabbit@localhost\n' >>"$envconf"
}

ensure_rabbitmq() {
    if rabbit_ready; then
        log "rabbitmq: running (${RABBIT_VERSION:-?}) on $AMQP_HOST:$AMQP_PORT, plugins ${RABBIT_PLUGINS[*]} enabled"
        return 0
    fi

    if ! have rabbitmq-server || ! have rabbitmqctl; then
        log "rabbitmq: not installed"
        apt_install rabbitmq-server
        rabbit_fix_nodename
    fi

    if ! tcp_open "$AMQP_HOST" "$AMQP_PORT"; then
        need_root "starting RabbitMQ" "rabbitmq-server -detached"
        if rabbitmqctl -q -t 5 ping >/dev/null 2>&1; then
            log "rabbitmq: node is up but the app is not (yet) listening: waiting"
        else
            rabbit_start
        fi
        rabbit_await
    fi

    # From here on the broker answers on 5672. What is missing is a plugin or the credentials.
    local status
    status=$(mgmt_status /api/overview)
    if [[ $status == 401 ]]; then
        die "rabbitmq: the broker rejects $RABBIT_USER/$RABBIT_PASS. As root:  rabbitmqctl add_user guest guest && rabbitmqctl set_permissions -p / guest '.*' '.*' '.*' && rabbitmqctl set_user_tags guest administrator"
    fi

    need_root "enabling RabbitMQ plugins" "rabbitmq-plugins enable ${RABBIT_PLUGINS[*]}"
    local enabled missing=()
    enabled=$(rabbitmq-plugins -q list -e -m 2>/dev/null || true)
    for p in "${RABBIT_PLUGINS[@]}"; do
        grep -qx "$p" <<<"$enabled" || missing+=("$p")
    done
    if (( ${#missing[@]} )); then
        log "rabbitmq: enabling plugins ${missing[*]}"
        rabbitmq-plugins -q enable "${missing[@]}" >/dev/null
    fi

    # Wait for the management HTTP API (the listener starts a moment after the plugin).
    local deadline=$((SECONDS + TIMEOUT))
    until rabbit_ready; do
        if (( SECONDS >= deadline )); then
            die "rabbitmq: management API not answering on $MGMT_URL after ${TIMEOUT}s (HTTP $(mgmt_status /api/overview)); see /var/log/rabbitmq/"
        fi
        sleep 1
    done
    log "rabbitmq: running (${RABBIT_VERSION:-?}) on $AMQP_HOST:$AMQP_PORT, plugins ${RABBIT_PLUGINS[*]} enabled"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

pg_query() { # sql -- as postgres over TCP, never prompting for a password
    PGCONNECT_TIMEOUT=3 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres \
        -w -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

# "VERSION NAME" of the local cluster on port 5432, empty if there is none.
pg_cluster() {
    pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1, $2; exit }'
}

pg_ensure_cluster() {
    local cluster ver
    cluster=$(pg_cluster)
    if [[ -z $cluster ]]; then
        if pg_lsclusters -h 2>/dev/null | grep -q .; then
            die "postgresql: no local cluster uses port $PG_PORT (pg_lsclusters shows others); start one on $PG_PORT or set ELDERNET_SKIP_SERVICES=1"
        fi
        ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
        [[ -n $ver ]] || die "postgresql: no server version found under /usr/lib/postgresql"
        need_root "creating a PostgreSQL cluster" "pg_createcluster $ver main --port $PG_PORT"
        log "postgresql: creating cluster $ver/main on port $PG_PORT" >&2
        pg_createcluster "$ver" main --port "$PG_PORT" >&2
        cluster="$ver main"
    fi
    echo "$cluster"
}

pg_await() {
    local deadline=$((SECONDS + TIMEOUT))
    until pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; do
        (( SECONDS < deadline )) || die "postgresql: not accepting connections on $PG_HOST:$PG_PORT after ${TIMEOUT}s; see /var/log/postgresql/"
        sleep 0.5
    done
}

# Debian's default pg_hba.conf asks for a password (scram-sha-256) on host connections and the
# postgres role has none. For this local test database, trust loopback connections instead.
pg_trust_loopback() { # version name
    local ver=$1 name=$2 hba
    hba=$(su postgres -s /bin/sh -c "psql -X -A -t -q -c 'show hba_file'" 2>/dev/null || true)
    [[ -n $hba ]] || hba=/etc/postgresql/$ver/$name/pg_hba.conf
    [[ -f $hba ]] || die "postgresql: cannot find pg_hba.conf (tried $hba)"
    if grep -q 'eldernet: trust loopback' "$hba"; then
        die "postgresql: $hba already trusts loopback (added earlier) but '$PG_USER' still cannot connect"
    fi
    log "postgresql: password required on $PG_HOST:$PG_PORT (fresh install?): adding 'trust' for 127.0.0.1/32 and ::1/128 at the top of $hba (backup: $hba.eldernet.bak) and reloading"
    cp -p "$hba" "$hba.eldernet.bak"
    {
        echo '# eldernet: trust loopback (added by deploy/ensure-services.sh; local test database only)'
        echo 'host    all    all    127.0.0.1/32    trust'
        echo 'host    all    all    ::1/128         trust'
        cat "$hba.eldernet.bak"
    } >"$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload
    sleep 0.5
}

ensure_postgres() {
    local out err
    if ! out=$(pg_query "select current_setting('server_version'), exists(select 1 from pg_database where datname = '$PG_TEST_DB')" 2>/dev/null); then
        if ! have psql || ! have pg_ctlcluster || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
            log "postgresql: not installed"
            apt_install postgresql
        fi
        local cluster ver name
        cluster=$(pg_ensure_cluster)
        read -r ver name <<<"$cluster"
        if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
            need_root "starting PostgreSQL" "pg_ctlcluster --skip-systemctl-redirect $ver $name start"
            log "postgresql: starting cluster $ver/$name"
            pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
            pg_await
        fi
        if ! err=$(pg_query 'select 1' 2>&1 >/dev/null); then
            if grep -qiE 'password|authentication' <<<"$err"; then
                need_root "letting '$PG_USER' connect from $PG_HOST without a password" \
                    "put 'host all all 127.0.0.1/32 trust' and 'host all all ::1/128 trust' at the top of /etc/postgresql/$ver/$name/pg_hba.conf, then: pg_ctlcluster $ver $name reload"
                pg_trust_loopback "$ver" "$name"
            else
                die "postgresql: cannot connect as $PG_USER to $PG_HOST:$PG_PORT: $err"
            fi
        fi
        out=$(pg_query "select current_setting('server_version'), exists(select 1 from pg_database where datname = '$PG_TEST_DB')") \
            || die "postgresql: still cannot connect as $PG_USER to $PG_HOST:$PG_PORT"
    fi
    local version=${out%%|*} has_db=${out##*|}
    if [[ $has_db != t ]]; then
        log "postgresql: creating database $PG_TEST_DB"
        pg_query "CREATE DATABASE $PG_TEST_DB" || die "postgresql: could not create database $PG_TEST_DB"
    fi
    log "postgresql: running (${version%% *}) on $PG_HOST:$PG_PORT, user $PG_USER, database $PG_TEST_DB"
}

ensure_rabbitmq
ensure_postgres
