#!/usr/bin/env bash
# Makes available what Pilothouse's tests need on this machine: PostgreSQL (role and database
# "pilothouse" on 127.0.0.1:5432), Redis on loopback port 6379, the Docker engine, and the
# local image pilothouse/busybox:test, built from Debian's busybox-static (nothing is pulled:
# no registry is reachable).
#
# Idempotent: what is installed stays, what runs is left alone. On Debian as root it installs
# what is missing with apt-get and starts what is stopped. Anywhere else it says exactly what is
# missing and how to provide it, and exits non-zero if anything is. Every wait is bounded.
set -euo pipefail

readonly PG_PORT=5432
readonly PG_ROLE=pilothouse PG_PASSWORD=pilothouse PG_DB=pilothouse
readonly REDIS_PORT=6379
readonly BUSYBOX=/bin/busybox
readonly BUSYBOX_IMAGE=pilothouse/busybox:test
readonly DOCKERD_LOG=/var/log/pilothouse-dockerd.log
readonly REDIS_LOG=/var/log/pilothouse-redis.log
readonly PACKAGES=(postgresql redis-server docker.io busybox-static iptables)

missing=()

say() { printf 'services: %s\n' "$*"; }
lack() { missing+=("$*"); }
is_root() { [[ $(id -u) -eq 0 ]]; }
is_debian() { [[ -r /etc/debian_version ]] && command -v apt-get >/dev/null; }

# wait_for SECONDS WHAT COMMAND...: retry COMMAND once a second until it succeeds, at most
# SECONDS times and for at most SECONDS seconds. COMMAND must bound its own run time.
wait_for() {
    local limit=$1 what=$2
    shift 2
    local deadline=$((SECONDS + limit)) attempt
    for ((attempt = 0; attempt < limit && SECONDS < deadline; attempt++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    say "gave up after ${limit}s waiting for $what"
    return 1
}

pg_answers() {
    if command -v pg_isready >/dev/null; then
        timeout 5 pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
    else
        timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PG_PORT" 2>/dev/null
    fi
}

pg_login_works() {
    command -v psql >/dev/null &&
        PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 timeout 10 \
            psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DB" -qtAc 'SELECT 1' \
            >/dev/null 2>&1
}

redis_answers() {
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT
        printf 'PING\r\n' >&3
        IFS= read -r reply <&3
        [[ \$reply == +PONG* ]]" 2>/dev/null
}

# psql as the postgres superuser, through the local socket (peer authentication).
as_postgres() {
    (cd /tmp && timeout 30 runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtA "$@")
}

docker_answers() { command -v docker >/dev/null && timeout 15 docker info >/dev/null 2>&1; }

install_packages() {
    is_debian || return 0
    local absent=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            absent+=("$p")
    done
    ((${#absent[@]})) || return 0
    if ! is_root; then
        lack "Debian packages ${absent[*]}: as root, run: apt-get install ${absent[*]}"
        return 0
    fi
    say "installing ${absent[*]}"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -q
    timeout 1800 apt-get install -y -q --no-install-recommends "${absent[@]}"
}

start_postgres() {
    if ! command -v pg_lsclusters >/dev/null; then
        lack "PostgreSQL on 127.0.0.1:$PG_PORT: install and start PostgreSQL 13 or newer"
        return 0
    fi
    if [[ -z $(pg_lsclusters --no-header 2>/dev/null) ]]; then
        local version
        version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' |
            sort -V | tail -n 1)
        say "creating PostgreSQL cluster $version/main"
        pg_createcluster "$version" main --port "$PG_PORT" >/dev/null
    fi
    local version name port status rest
    while read -r version name port status rest; do
        if [[ $port == "$PG_PORT" && $status != online* ]]; then
            say "starting PostgreSQL cluster $version/$name"
            timeout 120 pg_ctlcluster "$version" "$name" start || true
        fi
    done < <(pg_lsclusters --no-header)
    wait_for 60 "PostgreSQL on 127.0.0.1:$PG_PORT" pg_answers
}

ensure_postgres() {
    if ! pg_answers; then
        if is_root; then
            start_postgres || lack "PostgreSQL did not start: see /var/log/postgresql/"
        else
            lack "PostgreSQL on 127.0.0.1:$PG_PORT: as root, run:" \
                "pg_ctlcluster <version> main start"
        fi
    fi
    pg_answers || return 0
    if pg_login_works; then
        say "PostgreSQL ready (role and database $PG_DB)"
        return 0
    fi
    if ! is_root || ! command -v runuser >/dev/null; then
        lack "PostgreSQL role $PG_ROLE (password $PG_PASSWORD, LOGIN SUPERUSER) and database" \
            "$PG_DB on 127.0.0.1:$PG_PORT: as the postgres user, run: psql -c \"CREATE ROLE" \
            "$PG_ROLE LOGIN SUPERUSER PASSWORD '$PG_PASSWORD'\" -c \"CREATE DATABASE $PG_DB" \
            "OWNER $PG_ROLE\""
        return 0
    fi
    # Superuser because tests create and drop their own databases and may inspect server
    # state; the role is reached on loopback only, with a test password.
    if [[ -z $(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE'") ]]; then
        say "creating PostgreSQL role $PG_ROLE"
        as_postgres -c "CREATE ROLE $PG_ROLE LOGIN SUPERUSER PASSWORD '$PG_PASSWORD'"
    else
        say "resetting the password of PostgreSQL role $PG_ROLE"
        as_postgres -c "ALTER ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD'"
    fi
    if [[ -z $(as_postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ]]; then
        say "creating PostgreSQL database $PG_DB"
        as_postgres -c "CREATE DATABASE $PG_DB OWNER $PG_ROLE"
    fi
    pg_login_works || lack "login as $PG_ROLE to 127.0.0.1:$PG_PORT/$PG_DB fails: check pg_hba.conf"
}

ensure_redis() {
    if redis_answers; then
        say "Redis ready on 127.0.0.1:$REDIS_PORT"
        return 0
    fi
    if ! is_root || ! command -v redis-server >/dev/null; then
        lack "Redis on 127.0.0.1:$REDIS_PORT: run: redis-server --bind 127.0.0.1 --daemonize yes"
        return 0
    fi
    say "starting redis-server on 127.0.0.1:$REDIS_PORT (log: $REDIS_LOG)"
    # Loopback only, no persistence: it is a broker for tests, not a database.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' \
        --appendonly no --dir /tmp --logfile "$REDIS_LOG"
    wait_for 30 "Redis on 127.0.0.1:$REDIS_PORT" redis_answers ||
        lack "redis-server did not start: see $REDIS_LOG"
}

ensure_docker() {
    if docker_answers; then
        say "Docker engine ready"
        return 0
    fi
    if ! is_root || ! command -v dockerd >/dev/null; then
        lack "the Docker engine (docker info fails): as root, run: dockerd &" \
            "(Debian package docker.io), or add this user to the docker group"
        return 0
    fi
    say "starting dockerd in the background (log: $DOCKERD_LOG)"
    setsid nohup dockerd </dev/null >>"$DOCKERD_LOG" 2>&1 &
    if ! wait_for 60 "the Docker engine" docker_answers; then
        tail -n 20 "$DOCKERD_LOG" || true
        lack "dockerd did not start: see $DOCKERD_LOG"
    fi
}

ensure_busybox_image() {
    docker_answers || return 0
    if timeout 15 docker image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
        say "image $BUSYBOX_IMAGE present"
        return 0
    fi
    say "building $BUSYBOX_IMAGE from $BUSYBOX"
    if ! bash "$(dirname "${BASH_SOURCE[0]}")/busybox-image.sh" "$BUSYBOX_IMAGE"; then
        lack "the image $BUSYBOX_IMAGE (see the reason above)"
    fi
}

main() {
    install_packages
    ensure_postgres
    ensure_redis
    ensure_docker
    ensure_busybox_image
    if ((${#missing[@]})); then
        say "missing:"
        printf '  - %s\n' "${missing[@]}"
        exit 1
    fi
    say "all services ready"
}

main "$@"
