#!/usr/bin/env bats
# components/ssh/run-over-ssh.sh against a real sshd on loopback (a private one, started here): how
# teardown steps and the network check reach a node from the machine running Pulumi.

# shellcheck disable=SC2016 # script texts are expanded where they run, not here
# shellcheck disable=SC2030,SC2031 # each test changes its own copy of the environment on purpose
# shellcheck disable=SC2089,SC2090 # KUBELAB_SCRIPT is text for the node's shell, never split here
# shellcheck disable=SC2154 # bats sets output, stderr and status

bats_require_minimum_version 1.5.0

RUNNER="$BATS_TEST_DIRNAME/../../components/ssh/run-over-ssh.sh"
KEY_FIXTURES="$BATS_TEST_DIRNAME/../fixtures/ssh"

setup_file() {
  [ -x /usr/sbin/sshd ] || skip "no OpenSSH server (/usr/sbin/sshd) on this machine"
  [ -d /run/sshd ] || [ "$(id -u)" -ne 0 ] || skip "sshd's privilege separation folder /run/sshd is missing"
  export SSHD_DIR="$BATS_FILE_TMPDIR/sshd"
  mkdir -p "$SSHD_DIR/bin"
  # git keeps no file modes but the executable bit: a clone leaves the keys 0644, which OpenSSH
  # refuses to load. Private copies, as a user's keys would be.
  export KEYS="$BATS_FILE_TMPDIR/keys"
  mkdir -p "$KEYS"
  cp "$KEY_FIXTURES"/*-plain "$KEY_FIXTURES"/*-encrypted "$KEYS/"
  chmod 600 "$KEYS"/*
  ssh-keygen -q -t ed25519 -N "" -f "$SSHD_DIR/host_key"
  ssh-keygen -y -f "$KEYS/ed25519-plain" >"$SSHD_DIR/authorized_keys"
  ssh-keygen -y -P kubelab-test -f "$KEYS/ed25519-encrypted" >>"$SSHD_DIR/authorized_keys"
  # Nodes have sudo; this machine may not: a stand-in that runs its command as this user.
  printf '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n' >"$SSHD_DIR/bin/sudo"
  chmod +x "$SSHD_DIR/bin/sudo"
  export SSHD_PORT
  for SSHD_PORT in $(seq 22100 22199); do
    write_sshd_config
    /usr/sbin/sshd -f "$SSHD_DIR/config" -E "$SSHD_DIR/log" && break
  done
  for _ in $(seq 50); do [ -s "$SSHD_DIR/pid" ] && break; sleep 0.1; done
  [ -s "$SSHD_DIR/pid" ] || { cat "$SSHD_DIR/log" >&2; return 1; }
}

write_sshd_config() {
  cat >"$SSHD_DIR/config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/host_key
AuthorizedKeysFile $SSHD_DIR/authorized_keys
PidFile $SSHD_DIR/pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv PATH=$SSHD_DIR/bin:/usr/bin:/bin
EOF
}

fail() {
  echo "$*" >&2
  return 1
}

teardown_file() {
  if [ -s "${SSHD_DIR:-}/pid" ]; then kill "$(cat "$SSHD_DIR/pid")"; fi
}

setup() {
  export KUBELAB_NODE=worker-1 KUBELAB_STEP=reset KUBELAB_HOST=127.0.0.1 KUBELAB_PORT="$SSHD_PORT"
  KUBELAB_USER="$(id -un)"
  KUBELAB_SSH_KEY="$(cat "$KEYS/ed25519-plain")"
  KUBELAB_SCRIPT='echo "node=$NODE_NAME note=$NOTE name=$0 stdin=[$(cat)]"; echo progress >&2; exit "${EXIT:-0}"'
  export KUBELAB_USER KUBELAB_SSH_KEY KUBELAB_SCRIPT
  export TMPDIR="$BATS_TEST_TMPDIR/runner-tmp"
  mkdir -p "$TMPDIR"
}

@test "runs the script under sudo -n env with its values, an empty stdin, and passes its exit code on" {
  run --separate-stderr bash "$RUNNER" reset.sh NODE_NAME=worker-1 "NOTE=it's \"quoted\" \$HOME" EXIT=3
  [ "$status" -eq 3 ] || fail "$stderr"
  [ "$output" = "node=worker-1 note=it's \"quoted\" \$HOME name=reset.sh stdin=[]" ] || fail "$output"
  [ "$stderr" = progress ] || fail "$stderr"
  [ -z "$(ls "$TMPDIR")" ] || fail "left behind: $(ls "$TMPDIR")"
}

@test "an encrypted key is unlocked with the passphrase, which never reaches an argument list" {
  mkdir "$BATS_TEST_TMPDIR/spy"
  # Records every argument ssh and ssh-keygen get, then runs the real program.
  for tool in ssh ssh-keygen; do
    printf '#!/bin/sh\nprintf "%%s\\n" "$@" >>"%s/argv"\nexec %s "$@"\n' "$BATS_TEST_TMPDIR" "$(command -v "$tool")" \
      >"$BATS_TEST_TMPDIR/spy/$tool"
    chmod +x "$BATS_TEST_TMPDIR/spy/$tool"
  done
  KUBELAB_SSH_KEY="$(cat "$KEYS/ed25519-encrypted")"
  export KUBELAB_SSH_KEY KUBELAB_SSH_KEY_PASSPHRASE=kubelab-test
  PATH="$BATS_TEST_TMPDIR/spy:$PATH" run --separate-stderr bash "$RUNNER" reset.sh NODE_NAME=worker-1
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ "$output" == "node=worker-1 "* ]] || fail "$output"
  ! grep -q kubelab-test "$BATS_TEST_TMPDIR/argv" || fail "the passphrase was an argument"
  ! grep -qF "$(sed -n 2p "$KEYS/ed25519-encrypted")" "$BATS_TEST_TMPDIR/argv" || fail "the key was an argument"
}

@test "a wrong passphrase skips the step with a message naming the key setting" {
  KUBELAB_SSH_KEY="$(cat "$KEYS/ed25519-encrypted")"
  export KUBELAB_SSH_KEY KUBELAB_SSH_KEY_PASSPHRASE=wrong
  run --separate-stderr bash "$RUNNER" reset.sh NODE_NAME=worker-1
  [ "$status" -eq 0 ]
  [[ "$output" == "kubelab: kubelab:sshKeyPassphrase does not unlock the SSH key for worker-1, skipped reset ("* ]] ||
    fail "$output"
}

@test "a pinned host key is checked: the right one runs, another one is refused" {
  KUBELAB_HOST_KEY="$(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" run --separate-stderr bash "$RUNNER" reset.sh NODE_NAME=a
  [ "$status" -eq 0 ] && [[ "$output" == "node=a "* ]] || fail "$output $stderr"
  KUBELAB_HOST_KEY="$(ssh-keygen -y -f "$KEYS/ed25519-plain" | cut -d' ' -f1,2)"
  export KUBELAB_HOST_KEY
  run --separate-stderr bash "$RUNNER" reset.sh NODE_NAME=a
  [ "$status" -eq 0 ]
  [ "$output" = "kubelab: could not log in to worker-1, skipped reset (Host key verification failed.)" ] || fail "$output"
  KUBELAB_UNREACHABLE=fail run --separate-stderr bash "$RUNNER" reset.sh NODE_NAME=a
  [ "$status" -eq 255 ]
  [[ "$stderr" == "kubelab: could not log in to worker-1 (127.0.0.1:$SSHD_PORT): Host key verification failed." ]] ||
    fail "$stderr"
}

@test "a node that does not answer is skipped at once, naming the node and the step, and the step succeeds" {
  export KUBELAB_PORT=1
  run --separate-stderr bash "$RUNNER" reset.sh NODE_NAME=worker-1
  [ "$status" -eq 0 ]
  [ "$output" = "kubelab: worker-1 unreachable, skipped reset (ssh: connect to host 127.0.0.1 port 1: Connection refused)" ] ||
    fail "$output"
}

@test "for the network check an unreachable node is a failure (exit 255) that says where it tried" {
  export KUBELAB_PORT=1 KUBELAB_UNREACHABLE=fail KUBELAB_STEP=network-check
  run --separate-stderr bash "$RUNNER" network-check.sh
  [ "$status" -eq 255 ]
  [ -z "$output" ]
  [ "$stderr" = "kubelab: worker-1 unreachable (127.0.0.1:1): ssh: connect to host 127.0.0.1 port 1: Connection refused" ] ||
    fail "$stderr"
}

@test "a folder to upload is copied once, before the script runs, and a complete copy is kept" {
  mkdir -p "$BATS_TEST_TMPDIR/bundle/images"
  echo manifest >"$BATS_TEST_TMPDIR/bundle/manifest.json"
  echo layer >"$BATS_TEST_TMPDIR/bundle/images/a.tar"
  export KUBELAB_UPLOAD="$BATS_TEST_TMPDIR/bundle/" KUBELAB_UPLOAD_TO="$BATS_TEST_TMPDIR/node/kubelab-bundle"
  export KUBELAB_SCRIPT='cat "$TO/images/a.tar"'
  run --separate-stderr bash "$RUNNER" install-bundle.sh "TO=$KUBELAB_UPLOAD_TO"
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = layer ] || fail "$output"
  [[ "$stderr" == *"copying $KUBELAB_UPLOAD to worker-1:$KUBELAB_UPLOAD_TO"* ]] || fail "$stderr"
  [ -f "$KUBELAB_UPLOAD_TO/.kubelab-upload-complete" ] || fail "no completion marker"
  [ ! -e "$KUBELAB_UPLOAD_TO.partial" ] || fail "the partial folder was left"

  echo changed >"$BATS_TEST_TMPDIR/bundle/images/a.tar"
  run --separate-stderr bash "$RUNNER" install-bundle.sh "TO=$KUBELAB_UPLOAD_TO"
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = layer ] || fail "a complete copy was copied again: $output"
  [[ "$stderr" != *copying* ]] || fail "$stderr"
}

@test "an interrupted upload (no completion marker) is copied again from scratch" {
  mkdir -p "$BATS_TEST_TMPDIR/bundle" "$BATS_TEST_TMPDIR/node/kubelab-bundle.partial"
  echo new >"$BATS_TEST_TMPDIR/bundle/manifest.json"
  echo stale >"$BATS_TEST_TMPDIR/node/kubelab-bundle.partial/stale"
  export KUBELAB_UPLOAD="$BATS_TEST_TMPDIR/bundle" KUBELAB_UPLOAD_TO="$BATS_TEST_TMPDIR/node/kubelab-bundle"
  export KUBELAB_SCRIPT='ls -A "$TO" | tr "\n" " "'
  run --separate-stderr bash "$RUNNER" install-bundle.sh "TO=$KUBELAB_UPLOAD_TO"
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = ".kubelab-upload-complete manifest.json " ] || fail "$output"
}

@test "an upload to a node that does not answer fails the step when unreachable nodes are not skipped" {
  mkdir -p "$BATS_TEST_TMPDIR/bundle"
  export KUBELAB_UPLOAD="$BATS_TEST_TMPDIR/bundle" KUBELAB_UPLOAD_TO=/var/tmp/kubelab-bundle-x
  export KUBELAB_PORT=1 KUBELAB_UNREACHABLE=fail
  run --separate-stderr bash "$RUNNER" install-bundle.sh
  [ "$status" -eq 255 ] || fail "status $status: $stderr"
  [[ "$stderr" == *"worker-1 unreachable (127.0.0.1:1)"* ]] || fail "$stderr"
}
