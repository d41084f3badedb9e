# shellcheck shell=bash
# Finds the Pulumi CLI for every kubelab command that runs Pulumi: a `pulumi` on PATH first, else
# the one `npm run toolchain` built from Go modules. With the built one, plugins come only from its
# own PULUMI_HOME: a missing plugin fails at once instead of trying a download that cannot work.
# shellcheck source=scripts/toolchain/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/toolchain/env.sh"

use_pulumi() { # ACTION (for the message)
  if command -v pulumi >/dev/null 2>&1; then return 0; fi
  if [ -x "$TOOLCHAIN_BIN/pulumi" ]; then
    export PATH="$TOOLCHAIN_BIN:$PATH" PULUMI_HOME="$TOOLCHAIN_PULUMI_HOME"
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true
    return 0
  fi
  cat >&2 <<MSG
The Pulumi CLI was not found. Either
  - install it from Pulumi: https://www.pulumi.com/docs/install/ , or
  - build it here from Go modules: npm run toolchain
    (needs Go 1.26 and the Go module proxy; about 25 minutes cold on 2 cores, seconds once cached)
then run npm run ${1:-up} again.
MSG
  return 127
}
