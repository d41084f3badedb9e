// Command pulumi-resource-kubernetes serves the Kubernetes provider from its Go module.
//
// Upstream's main embeds schema-embed.json and terraform-mapping-embed.json, which its
// `go generate` writes and git ignores, so the module zip cannot build it. The toolchain
// script writes both files here from the module's schema.json (with the release version
// set) before `go build`; this file is otherwise the same call upstream's main makes.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
