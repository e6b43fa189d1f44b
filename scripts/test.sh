#!/usr/bin/env bash
# The one test command: installs test dependencies, then runs go vet and
# go test over the whole module. Extra arguments go to `go test`, e.g.
#   scripts/test.sh -short
#   scripts/test.sh -run TestRelu ./internal/testenv/
# (if an argument names a package, i.e. starts with ./, the package list
# ./... is not added).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
export PATH="/usr/local/go/bin:${HOME:-/root}/go/bin:$PATH"

"$repo_root/scripts/install-test-deps.sh"

pkgs=(./...)
for a in "$@"; do
	case "$a" in
	./* | ../* | github.com/pixelgraph/pixelgraph*) pkgs=() ;;
	esac
done

echo "[test] go vet ./..." >&2
go vet ./...

echo "[test] go test ${pkgs[*]} $*" >&2
go test "$@" "${pkgs[@]}"
