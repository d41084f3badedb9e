#!/usr/bin/env bash
# kubelab local nodes: lab machines as systemd-nspawn containers on this Linux host, each with
# systemd as PID 1, its own address on a Linux bridge, reached over SSH like any other machine.
#
#   node.sh rootfs [--release R]          build the shared Debian rootfs once; prints its directory
#   node.sh create NAME --address A/P --bridge BR --gateway G --user U --pubkey-file FILE|-
#                  [--memory SIZE] [--hostname H] [--release R]
#                                          the node's disk and identity; prints its SSH host key
#   node.sh start NAME [--token T]         boot it (detached) and wait for SSH; prints
#                                          {"name","address","hostKey"}; T is kept for status
#   node.sh stop NAME | destroy NAME       halt it | halt it and remove every trace
#   node.sh kill NAME                      cut its power: every process killed at once, disk kept
#   node.sh status NAME [--json]           running | stopped | absent ({"state","token"})
#   node.sh bridge-up BR G/P | bridge-down BR
#
# Nodes live in --state-dir D (any command; default $KUBELAB_LOCAL_NODES_DIR or
# /var/lib/kubelab/local-nodes), the rootfs in ${KUBELAB_CACHE:-~/.cache/kubelab}/local-nodes.
# Logs go to stderr, results to stdout.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
shopt -s inherit_errexit

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=rootfs.sh
source "$HERE/rootfs.sh"
# shellcheck source=bridge.sh
source "$HERE/bridge.sh"
# shellcheck source=create.sh
source "$HERE/create.sh"
# shellcheck source=lifecycle.sh
source "$HERE/lifecycle.sh"
# shellcheck source=teardown.sh
source "$HERE/teardown.sh"

usage() {
  sed -n '4,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local args=()
  while [ "$#" -gt 0 ]; do
    if [ "$1" = --state-dir ]; then
      [ -n "${2:-}" ] || die "--state-dir needs a directory"
      STATE_DIR="$2"
      shift 2
    else
      args+=("$1")
      shift
    fi
  done
  set -- "${args[@]}"
  local command="${1:-}"
  [ "$#" -gt 0 ] && shift
  case "$command" in
    rootfs) cmd_rootfs "$@" ;;
    create) cmd_create "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    kill) cmd_kill "$@" ;;
    destroy) cmd_destroy "$@" ;;
    status) cmd_status "$@" ;;
    bridge-up) cmd_bridge_up "$@" ;;
    bridge-down) cmd_bridge_down "$@" ;;
    -h | --help | help) usage ;;
    *)
      log "unknown command '${command}'"
      usage
      ;;
  esac
}

main "$@"
