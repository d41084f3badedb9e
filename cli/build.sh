#!/usr/bin/env bash
# `npm run build`, and `prepare` (so `npm ci` and a git install build it): the kubelab command
# compiled by tsc into dist/ from scratch, so no module of a deleted source lingers there. The entry
# point is made executable: npx and the package's bin link run it as a program.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
node_modules/.bin/tsc -p tsconfig.build.json
chmod +x dist/cli/kubelab.js
