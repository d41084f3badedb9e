#!/usr/bin/env bash
# Runs a scripts/node script on a node with OpenSSH from the machine running Pulumi: teardown steps
# (reset, remove-node, probe cleanup), which must give up quickly on a node that is gone, and the
# network check. The script's text travels on stdin and runs under `sudo -n env NAME=value ...`; the
# private key comes from the environment into a private temporary file removed on exit.
#
# usage: run-over-ssh.sh SCRIPT_NAME [NAME=value...]
# env:   KUBELAB_NODE, KUBELAB_STEP     what runs where, for messages
#        KUBELAB_HOST, KUBELAB_PORT, KUBELAB_USER
#        KUBELAB_SCRIPT                 the script's text
#        KUBELAB_HOST_KEY               optional: pins the node's host key ("ssh-ed25519 AAAA...")
#        KUBELAB_SSH_KEY                optional: the private key (else the SSH agent's keys)
#        KUBELAB_SSH_KEY_PASSPHRASE     optional: unlocks KUBELAB_SSH_KEY
#        KUBELAB_UNREACHABLE            skip (default): a node that cannot be reached or logged in to
#                                       is skipped with a message, exit 0; fail: exit 255
#        KUBELAB_CONNECT_TIMEOUT        seconds to wait for the node's SSH server (default 5)
#        KUBELAB_UPLOAD                 optional: a local folder copied to KUBELAB_UPLOAD_TO on the node
#                                       first (as the SSH user, with tar), unless a complete copy is there
# Runs under the bash of macOS (3.2) too.
set -euo pipefail

script_name="${1:?usage: run-over-ssh.sh SCRIPT_NAME [NAME=value...]}"
shift
: "${KUBELAB_NODE:?}" "${KUBELAB_STEP:?}" "${KUBELAB_HOST:?}" "${KUBELAB_PORT:?}" "${KUBELAB_USER:?}"
: "${KUBELAB_SCRIPT:?KUBELAB_SCRIPT must hold the script to run}"
unreachable="${KUBELAB_UNREACHABLE:-skip}"
timeout="${KUBELAB_CONNECT_TIMEOUT:-5}"

work="$(mktemp -d "${TMPDIR:-/tmp}/kubelab-ssh.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# 'text' with every ' escaped, for the remote login shell.
squote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

options=(-o BatchMode=yes -o ConnectTimeout="$timeout" -o ConnectionAttempts=1
  -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o LogLevel=ERROR
  -o UserKnownHostsFile="$work/known_hosts" -o GlobalKnownHostsFile=/dev/null
  -p "$KUBELAB_PORT" -l "$KUBELAB_USER")
if [ -n "${KUBELAB_HOST_KEY:-}" ]; then
  entry="$KUBELAB_HOST"
  if [ "$KUBELAB_PORT" != 22 ]; then entry="[$KUBELAB_HOST]:$KUBELAB_PORT"; fi
  printf '%s %s\n' "$entry" "$KUBELAB_HOST_KEY" >"$work/known_hosts"
  options+=(-o StrictHostKeyChecking=yes)
else
  # As the Pulumi connection does without a pinned key: trust the node's key on first sight.
  options+=(-o StrictHostKeyChecking=accept-new)
fi

# Without a connection the step is skipped (teardown) or fails (the network check), naming why.
give_up() {
  if [ "$unreachable" = skip ]; then
    echo "kubelab: $1, skipped ${KUBELAB_STEP} ($2)"
    exit 0
  fi
  echo "kubelab: $1 (${KUBELAB_HOST}:${KUBELAB_PORT}): $2" >&2
  exit 255
}

if [ -n "${KUBELAB_SSH_KEY:-}" ]; then
  (umask 077 && printf '%s\n' "$KUBELAB_SSH_KEY" >"$work/key")
  if [ -n "${KUBELAB_SSH_KEY_PASSPHRASE:-}" ]; then
    # ssh-keygen takes the passphrase from this helper, never from its arguments (visible in ps),
    # and rewrites the private copy unencrypted so ssh runs without prompting.
    # shellcheck disable=SC2016 # the helper expands the variable when ssh-keygen runs it
    printf '#!/bin/sh\nprintf "%%s\\n" "$KUBELAB_SSH_KEY_PASSPHRASE"\n' >"$work/askpass"
    chmod 700 "$work/askpass"
    if ! SSH_ASKPASS="$work/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY="${DISPLAY:-kubelab}" \
      ssh-keygen -q -p -N "" -f "$work/key" </dev/null >/dev/null 2>"$work/keygen.err"; then
      give_up "kubelab:sshKeyPassphrase does not unlock the SSH key for ${KUBELAB_NODE}" "$(tail -n 1 "$work/keygen.err")"
    fi
  fi
  options+=(-i "$work/key" -o IdentitiesOnly=yes)
fi

# Without a connection the step is skipped (teardown) or fails, naming why (ssh's last message).
ssh_failed() {
  local reason
  reason="$(tr -d '\r' <"$work/ssh.log" | grep -v '^[[:space:]]*$' | tail -n 1 || true)"
  case "$reason" in
    *"Connection refused"* | *"timed out"* | *"No route to host"* | *"Network is unreachable"* | *"Could not resolve"* | "")
      give_up "${KUBELAB_NODE} unreachable" "${reason:-ssh exit 255}"
      ;;
    *) give_up "could not log in to ${KUBELAB_NODE}" "$reason" ;;
  esac
}

# A folder too big for a command's stdin or Pulumi's state (the offline bundle): copied once, into
# a partial folder renamed when complete, so an interrupted copy is redone and a finished one kept.
upload() {
  local to rc=0
  : "${KUBELAB_UPLOAD_TO:?KUBELAB_UPLOAD_TO must name the folder on the node that KUBELAB_UPLOAD goes to}"
  [ -d "$KUBELAB_UPLOAD" ] || { echo "kubelab: KUBELAB_UPLOAD ${KUBELAB_UPLOAD} is not a folder" >&2; exit 2; }
  to="$(squote "$KUBELAB_UPLOAD_TO")"
  # shellcheck disable=SC2029 # the command is built for the remote shell on purpose
  ssh -E "$work/ssh.log" "${options[@]}" "$KUBELAB_HOST" "test -f $to/.kubelab-upload-complete" </dev/null || rc=$?
  if [ "$rc" -eq 0 ]; then return 0; fi
  if [ "$rc" -eq 255 ]; then ssh_failed; fi
  echo "kubelab: copying ${KUBELAB_UPLOAD} to ${KUBELAB_NODE}:${KUBELAB_UPLOAD_TO}" >&2
  rc=0
  # shellcheck disable=SC2029
  tar -C "$KUBELAB_UPLOAD" -cf - . | ssh -E "$work/ssh.log" "${options[@]}" "$KUBELAB_HOST" \
    "rm -rf $to.partial && mkdir -p $to.partial && tar -xf - -C $to.partial && touch $to.partial/.kubelab-upload-complete && rm -rf $to && mv $to.partial $to" || rc=$?
  if [ "$rc" -eq 255 ]; then ssh_failed; fi
  if [ "$rc" -ne 0 ]; then
    echo "kubelab: copying ${KUBELAB_UPLOAD} to ${KUBELAB_NODE} failed (exit ${rc})" >&2
    exit "$rc"
  fi
}
if [ -n "${KUBELAB_UPLOAD:-}" ]; then upload; fi

remote="sudo -n env"
for assignment in "$@"; do remote="$remote $(squote "$assignment")"; done
# The remote shell reads the whole script before running it, so the script's own stdin is empty.
remote="$remote bash -c \"\$(cat)\" $(squote "$script_name")"

# ssh's own messages go to its log; the script's output streams through as it runs.
rc=0
# shellcheck disable=SC2029 # the command is built for the remote shell on purpose
ssh -E "$work/ssh.log" "${options[@]}" "$KUBELAB_HOST" "$remote" <<<"$KUBELAB_SCRIPT" || rc=$?
if [ "$rc" -ne 255 ]; then exit "$rc"; fi
ssh_failed
