// Package version holds the provider's version, set at build time with
// -ldflags "-X kubelab.local/toolchain/command/internal/version.Version=v1.2.1".
package version

import "strings"

// Version is the released version this build implements; a leading "v" is allowed.
var Version = "1.2.1"

// Get returns Version without a leading "v", as plugin versions are reported.
func Get() string { return strings.TrimPrefix(Version, "v") }
