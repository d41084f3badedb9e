#!/usr/bin/env bats
# scripts/bundle/rootfs.sh: argument checks and the static layer (no debootstrap, no network).

setup() {
  SCRIPT="$BATS_TEST_DIRNAME/../../../scripts/bundle/rootfs.sh"
  WORK=$(mktemp -d)
}

teardown() {
  rm -rf "$WORK"
}

@test "an unknown variant names the variants there are" {
  run "$SCRIPT" bogus "$WORK/out"
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown variant 'bogus' (base, net, python, redis, postgres, static)"* ]]
  [ ! -e "$WORK/out" ]
}

@test "the static layer has the CA bundle of the net layer, passwd with nonroot, and a sticky /tmp" {
  mkdir -p "$WORK/net/etc/ssl/certs" "$WORK/net/usr/bin"
  echo "CERTS" >"$WORK/net/etc/ssl/certs/ca-certificates.crt"
  echo "not wanted" >"$WORK/net/usr/bin/sh"
  tar -C "$WORK/net" -cf "$WORK/net.tar" .
  run "$SCRIPT" static "$WORK/out" "$WORK/net.tar"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  mkdir "$WORK/x" && tar -C "$WORK/x" -xf "$WORK/out/layer.tar"
  [ "$(cat "$WORK/x/etc/ssl/certs/ca-certificates.crt")" = CERTS ]
  grep -q '^nonroot:x:65532:65532:' "$WORK/x/etc/passwd"
  [ "$(stat -c %a "$WORK/x/tmp")" = 1777 ]
  [ "$(stat -c %a "$WORK/x")" = 755 ]
  [ ! -e "$WORK/x/usr/bin/sh" ]
  # Owned by root in the layer, whoever ran the build.
  ! tar -tvf "$WORK/out/layer.tar" --numeric-owner | awk '{print $2}' | grep -qv '^0/0$'
}
