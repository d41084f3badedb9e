#!/usr/bin/env bash
# Runs on the first control plane right before one node joins: mints that node's bootstrap token,
# reads the CA public-key hash and, for a control-plane join, uploads the control-plane certificates
# under a fresh certificate key (kubeadm deletes them after 2 h). Never scraped from init's output.
# stdout: exactly one line {"token":"...","caCertHash":"sha256:...","certificateKey":"...","expires":N},
# expires in Unix seconds. Everything else goes to stderr, with anything shaped like a token or key masked.
set -euo pipefail
shopt -s inherit_errexit

: "${CONTROL_PLANE_JOIN:?CONTROL_PLANE_JOIN is required (true when control planes will join, else false)}"
# Tests point this at a scratch directory; on a node it is unset and every path is the real one.
ROOT="${KUBELAB_ROOT:-}"

ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"
CA_CERT="$ROOT/etc/kubernetes/pki/ca.crt"

exec 3>&1 1>&2

log() { echo "join-token.sh: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

redact() {
  sed -E -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/<token>/g' -e 's/[a-f0-9]{64}/<hex>/g'
}

# Runs a command whose stdout is a secret: stdout into the variable named $1 ("-" drops it),
# stderr shown masked. A failure stops the script with the command's exit code.
capture() {
  local var="$1" what="$2" errors out rc=0
  shift 2
  errors="$(mktemp)"
  out="$("$@" 2>"$errors")" || rc=$?
  if [ -s "$errors" ]; then redact <"$errors" >&2; fi
  rm -f "$errors"
  if [ "$rc" -ne 0 ]; then
    log "${what} failed (exit ${rc})"
    exit "$rc"
  fi
  if [ "$var" != - ]; then printf -v "$var" '%s' "$out"; fi
}

case "$CONTROL_PLANE_JOIN" in
  true | false) ;;
  *) die "CONTROL_PLANE_JOIN must be true or false, got '$CONTROL_PLANE_JOIN'" ;;
esac
[ -f "$ADMIN_CONF" ] || die "/etc/kubernetes/admin.conf is missing: run init.sh on this control plane first"
[ -f "$CA_CERT" ] || die "/etc/kubernetes/pki/ca.crt is missing: is this the first control plane?"

# A worker's token outlives a join retried the next day; a control plane's cannot outlive the
# uploaded certificates its certificate key unlocks (2 h). join.sh refuses an expired one up front.
ttl_hours=24
if [ "$CONTROL_PLANE_JOIN" = true ]; then ttl_hours=2; fi
expires=$(($(date -u +%s) + ttl_hours * 3600))

token=""
capture token "kubeadm token create" timeout 60 kubeadm token create --ttl "${ttl_hours}h" --kubeconfig "$ADMIN_CONF"
token="$(printf '%s' "$token" | tail -n 1)"
[[ "$token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "kubeadm token create printed something that is not a bootstrap token"

# The discovery hash is sha256 over the CA's DER-encoded SubjectPublicKeyInfo; `openssl pkey`
# handles the RSA default and ECDSA CAs (ClusterConfiguration.encryptionAlgorithm) alike.
hash="$(openssl x509 -pubkey -noout -in "$CA_CERT" | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | sed 's/^.* //')"
[[ "$hash" =~ ^[a-f0-9]{64}$ ]] || die "could not compute the sha256 hash of /etc/kubernetes/pki/ca.crt's public key"

certificate_key=""
if [ "$CONTROL_PLANE_JOIN" = true ]; then
  capture certificate_key "kubeadm certs certificate-key" timeout 30 kubeadm certs certificate-key
  [[ "$certificate_key" =~ ^[a-f0-9]{64}$ ]] || die "kubeadm certs certificate-key printed something that is not a key"
  # No --config here: kubeadm refuses to mix it with --certificate-key. Its stdout repeats the key,
  # so it is captured and dropped.
  capture - "kubeadm init phase upload-certs" \
    timeout 120 kubeadm init phase upload-certs --upload-certs --certificate-key "$certificate_key"
  log "control-plane certificates uploaded (valid for 2 hours)"
fi

log "minted a bootstrap token valid for ${ttl_hours} hours"
printf '{"token":"%s","caCertHash":"sha256:%s","certificateKey":"%s","expires":%d}\n' "$token" "$hash" "$certificate_key" "$expires" >&3
