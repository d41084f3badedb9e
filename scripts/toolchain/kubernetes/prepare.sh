#!/usr/bin/env bash
# Writes the two files main.go embeds, as upstream's `go generate` does: the provider's schema with
# the release version set, and its terraform mapping, both from the module the wrapper requires.
set -euo pipefail
version="${1:?usage: prepare.sh VERSION}"
module="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes"
jq -c --arg v "$version" '.version = $v' "$module/schema.json" >schema-embed.json
jq -c . "$module/terraform-mapping.json" >terraform-mapping-embed.json
