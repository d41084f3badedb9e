#!/usr/bin/env bats
# scripts/bundle/app/db-entrypoint.sh with stub initdb/postgres: first-start initialisation as the
# official postgres image does it, the password never on a command line.

setup() {
  ENTRY="$BATS_TEST_DIRNAME/../../../scripts/bundle/app/db-entrypoint.sh"
  WORK=$(mktemp -d)
  mkdir "$WORK/bin"
  CALLS="$WORK/calls"
  # Stubs record their arguments; initdb also reads the password file it is given.
  cat >"$WORK/bin/initdb" <<STUB
#!/bin/bash
echo "initdb \$*" >>"$CALLS"
for a in "\$@"; do case \$a in --pwfile=*) echo "pwfile: \$(cat "\${a#--pwfile=}")" >>"$CALLS" ;; esac; done
mkdir -p "\$PGDATA" && echo 15 >"\$PGDATA/PG_VERSION" && touch "\$PGDATA/pg_hba.conf"
STUB
  printf '#!/bin/bash\necho "postgres $*" >>"%s"\ncat >>"%s" 2>/dev/null || true\n' "$CALLS" "$CALLS" >"$WORK/bin/postgres"
  printf '#!/bin/sh\necho 999\n' >"$WORK/bin/id"
  chmod +x "$WORK/bin/"*
  export PGDATA="$WORK/data/pgdata" POSTGRES_USER=postgres POSTGRES_PASSWORD='s3cret pass'
}

teardown() {
  rm -rf "$WORK"
}

run_entry() {
  PG_BINDIR="$WORK/bin" PATH="$WORK/bin:$PATH" run bash "$ENTRY"
}

@test "first start initialises PGDATA for the user with password authentication from the network" {
  run_entry
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  grep -q "^initdb --username=postgres --pwfile=.* --auth-local=trust --auth-host=scram-sha-256" "$CALLS"
  grep -qx "pwfile: s3cret pass" "$CALLS"
  ! grep "^initdb\|^postgres" "$CALLS" | grep -q "s3cret"
  grep -qx "host all all all scram-sha-256" "$PGDATA/pg_hba.conf"
  grep -q "^postgres -D $PGDATA -c listen_addresses=\* -c unix_socket_directories=" "$CALLS"
  [ "$(stat -c %a "$PGDATA")" = 700 ]
}

@test "a second start keeps the data and only runs postgres" {
  run_entry && : >"$CALLS"
  run_entry
  [ "$status" -eq 0 ]
  ! grep -q '^initdb' "$CALLS"
  grep -q '^postgres -D' "$CALLS"
}

@test "a database other than postgres is created on first start" {
  POSTGRES_DB=votes run_entry
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  grep -q '^postgres --single' "$CALLS"
  grep -q 'CREATE DATABASE "votes";' "$CALLS"
}

@test "an empty password is refused before anything is written" {
  POSTGRES_PASSWORD='' run_entry
  [ "$status" -eq 1 ]
  [[ "$output" == *"POSTGRES_PASSWORD is empty"* ]]
  [ ! -e "$PGDATA" ]
}

@test "running as root is refused" {
  printf '#!/bin/sh\necho 0\n' >"$WORK/bin/id"
  run_entry
  [ "$status" -eq 1 ]
  [[ "$output" == *"refusing to run as root"* ]]
}
