#!/bin/bash
# The db image's entrypoint: on first start, initialise $PGDATA with the superuser
# $POSTGRES_USER / $POSTGRES_PASSWORD (and database $POSTGRES_DB) as the official postgres image
# does, password authentication from the network; then run postgres in the foreground.
set -euo pipefail
export PATH="${PG_BINDIR:-/usr/lib/postgresql/15/bin}:$PATH"
: "${PGDATA:=/var/lib/postgresql/data}" "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA

if [ "$(id -u)" = 0 ]; then
  echo "db: refusing to run as root; run as the postgres user (uid 999)" >&2
  exit 1
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "db: POSTGRES_PASSWORD is empty; set it (the app takes it from the db-credentials Secret)" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  # The password reaches initdb through a private file, never a command line.
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  trap - EXIT
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    postgres --single -D "$PGDATA" -c listen_addresses='' postgres <<<"CREATE DATABASE \"$POSTGRES_DB\";" >/dev/null
  fi
  echo "db: initialised $PGDATA for user $POSTGRES_USER"
fi

# The image's socket directory; a runtime that mounts a fresh /run (plain `ctr run` does, the
# kubelet does not) hides it, and then the socket goes to /tmp.
sockets=/var/run/postgresql
[ -d "$sockets" ] && [ -w "$sockets" ] || sockets=/tmp
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories="$sockets" "$@"
