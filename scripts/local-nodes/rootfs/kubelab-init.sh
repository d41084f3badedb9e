#!/bin/sh
# PID 1 of a kubelab local node (node.sh starts it through systemd-nspawn instead of --boot).
# systemd-nspawn mounts the cgroup v1 controllers read-only, so runc inside the node could not
# create a container's cgroup; the cgroup namespace shows only this node's own groups, so making
# them writable hands the node its subtree and nothing else. kubelet and CSI want shared mount
# propagation (they mount volumes that containers must see). Then the node's systemd takes over.
set -eu
for dir in /sys/fs/cgroup/*; do
  if mountpoint -q "$dir"; then
    mount -o remount,rw "$dir" 2>/dev/null || mount -o remount,bind,rw "$dir"
  fi
done
mount --make-rshared /
exec /lib/systemd/systemd "$@"
