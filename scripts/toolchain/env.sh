# shellcheck shell=bash
# Where kubelab's toolchain built from Go modules lives. Sourced by the toolchain build and by every
# command that runs Pulumi (cli/pulumi-env.sh), so both agree on the paths.
KUBELAB_CACHE="${KUBELAB_CACHE:-$HOME/.cache/kubelab}"
TOOLCHAIN_DIR="$KUBELAB_CACHE/toolchain"
TOOLCHAIN_BIN="$TOOLCHAIN_DIR/bin"
# The built CLI keeps its plugins and settings apart from a Pulumi installed the usual way.
TOOLCHAIN_PULUMI_HOME="$TOOLCHAIN_DIR/pulumi-home"
# Go's module and build caches under the kubelab cache: a warm cache turns a rebuild into seconds.
export GOMODCACHE="$KUBELAB_CACHE/go/mod" GOCACHE="$KUBELAB_CACHE/go/build" GOFLAGS=-modcacherw
export KUBELAB_CACHE TOOLCHAIN_DIR TOOLCHAIN_BIN TOOLCHAIN_PULUMI_HOME
