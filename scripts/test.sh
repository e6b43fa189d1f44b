#!/usr/bin/env bash
# The one test command: installs test dependencies, then runs go vet and
# go test over the whole module, then over each nested module (see nested
# below). Extra arguments go to `go test`, e.g.
#   scripts/test.sh -short
#   scripts/test.sh -run TestRelu ./internal/testenv/
# (if an argument names a package, i.e. starts with ./, the package list
# ./... is not added and the nested modules are not run).
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
status=0
go test "$@" "${pkgs[@]}" || status=$?

# Nested modules have their own go.mod (and dependencies the main module must
# not see, e.g. onnx-go's older gorgonia); ./... above skips them. They run
# too unless the caller named packages.
nested=(interop/onnxgo)
if [ ${#pkgs[@]} -gt 0 ]; then
	for m in "${nested[@]}"; do
		echo "[test] (cd $m && go vet ./... && go test $* ./...)" >&2
		(cd "$repo_root/$m" && go vet ./... && go test "$@" ./...) || status=1
	done
fi
exit "$status"
