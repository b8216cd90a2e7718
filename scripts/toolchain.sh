#!/usr/bin/env bash
# Builds the real-engine toolchain from the registries this machine reaches (the Go module proxy and
# Debian), never from release downloads. Idempotent: every component is cached under
#   ${XDG_CACHE_HOME:-~/.cache}/lockstep/toolchain/<component>-<version>/
# and a second run only checks the cache. Writes toolchain.json there, with each component's status:
# "built" (and its path), or "unavailable" with the exact command that failed and its error.
#
#   scripts/toolchain.sh [--require name,name]   exit 1 if a required component is not built
#   scripts/toolchain.sh --print-dir             print the cache directory and exit
#
# Components and versions:
#   pulumi                  github.com/pulumi/pulumi/pkg/v3 at @pulumi/pulumi's lockfile version
#   pulumi-language-nodejs  github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, same version
#   pulumi-resource-kubernetes  github.com/pulumi/pulumi-kubernetes/provider/v4 at @pulumi/kubernetes's version
#   pulumi-resource-command github.com/pulumi/pulumi-command at @pulumi/command's version
#   kube-apiserver          k8s.io/kubernetes at KUBE_VERSION (inside every catalog release's range)
#   etcd                    Debian's etcd-server
set -euo pipefail
cd "$(dirname "$0")/.."

KUBE_VERSION="${KUBE_VERSION:-v1.31.14}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/lockstep/toolchain"
if [[ "${1:-}" == "--print-dir" ]]; then echo "$CACHE"; exit 0; fi
REQUIRED=""
if [[ "${1:-}" == "--require" ]]; then REQUIRED="${2:-}"; fi
mkdir -p "$CACHE"
STATUS="$CACHE/toolchain.json.partial"
echo "{" > "$STATUS"
started_all=$SECONDS

log() { echo "toolchain: $*" >&2; }
lockfile_version() { node -e 'const l=require("./package-lock.json");const p=l.packages["node_modules/"+process.argv[1]];if(!p)process.exit(1);process.stdout.write(p.version)' "$1"; }
record() { # record <name> <status> <version> <detail-json-fields>
  printf '  "%s": {"status": "%s", "version": "%s"%s},\n' "$1" "$2" "$3" "${4:-}" >> "$STATUS"
}
json_string() { node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"; }

# Builds <package> from <module>@<version> inside a generated wrapper module whose go.mod repeats the
# upstream replace directives, pointed at published versions (go install refuses modules with replaces).
# Usage: build_go <name> <module> <version> <package> <out-dir> [replace lines...]
build_go() {
  local name="$1" module="$2" version="$3" package="$4" out="$5"; shift 5
  local bin="$out/$name"
  if [[ -x "$bin" ]]; then log "$name $version: cached at $bin"; record "$name" built "$version" ", \"path\": $(json_string "$bin"), \"cached\": true"; return 0; fi
  local work; work="$(mktemp -d)"
  local started=$SECONDS
  log "$name $version: resolving $module@$version through the Go module proxy"
  {
    echo "module lockstep.local/toolchain/$name"
    echo
    echo "go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')"
    echo
    echo "require $module $version"
    for r in "$@"; do echo "replace $r"; done
  } > "$work/go.mod"
  local cmd="go mod download -json $module@$version"
  local err
  if ! err="$(cd "$work" && go mod download -json "$module@$version" 2>&1)" || grep -q '"Error"' <<<"$err"; then
    local msg; msg="$(grep -o '"Error": "[^"]*' <<<"$err" | head -1 | sed 's/"Error": "//' || true)"
    [[ -n "$msg" ]] || msg="$(tail -1 <<<"$err")"
    log "$name $version: UNAVAILABLE: $cmd -> $msg"
    record "$name" unavailable "$version" ", \"command\": $(json_string "$cmd"), \"error\": $(json_string "$msg")"
    rm -rf "$work"; return 1
  fi
  log "$name $version: compiling $package (the first build takes minutes on 2 cores)"
  mkdir -p "$out"
  local ldflags="${LDFLAGS:-}"
  if ! err="$(cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" "$package" 2>&1)"; then
    log "$name $version: BUILD FAILED: go build $package -> $(tail -3 <<<"$err")"
    record "$name" unavailable "$version" ", \"command\": $(json_string "go build $package"), \"error\": $(json_string "$(tail -3 <<<"$err")")"
    rm -rf "$work"; return 1
  fi
  mv "$bin.tmp" "$bin"
  rm -rf "$work"
  log "$name $version: built in $((SECONDS - started)) s -> $bin"
  record "$name" built "$version" ", \"path\": $(json_string "$bin"), \"seconds\": $((SECONDS - started))"
}

failed=()

# --- Pulumi CLI, language host and providers, at the versions the lockfile's SDKs ask for.
PULUMI_VERSION="v$(lockfile_version @pulumi/pulumi)"
K8S_PROVIDER_VERSION="v$(lockfile_version @pulumi/kubernetes)"
COMMAND_PROVIDER_VERSION="v$(lockfile_version @pulumi/command)"
PLUGIN_DIR="$CACHE/pulumi-$PULUMI_VERSION"

build_go pulumi github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$PLUGIN_DIR/bin" \
  "github.com/pulumi/pulumi/sdk/v3 => github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION" \
  "github.com/xanzy/ssh-agent => github.com/pulumi/ssh-agent v0.5.1" || failed+=(pulumi)
build_go pulumi-language-nodejs github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 "$PULUMI_VERSION" \
  github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 "$PLUGIN_DIR/bin" \
  "github.com/pulumi/pulumi/pkg/v3 => github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION" \
  "github.com/pulumi/pulumi/sdk/v3 => github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION" || failed+=(pulumi-language-nodejs)
LDFLAGS="-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION" \
  build_go pulumi-resource-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4 "$K8S_PROVIDER_VERSION" \
  github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes "$CACHE/kubernetes-$K8S_PROVIDER_VERSION/bin" \
  "github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 $K8S_PROVIDER_VERSION" || failed+=(pulumi-resource-kubernetes)
# A major version above 1 lives at a /vN module path.
COMMAND_MODULE="github.com/pulumi/pulumi-command"
COMMAND_MAJOR="$(cut -d. -f1 <<<"${COMMAND_PROVIDER_VERSION#v}")"
if (( COMMAND_MAJOR > 1 )); then COMMAND_MODULE="$COMMAND_MODULE/v$COMMAND_MAJOR"; fi
build_go pulumi-resource-command "$COMMAND_MODULE" "$COMMAND_PROVIDER_VERSION" \
  "$COMMAND_MODULE/provider/cmd/pulumi-resource-command" "$CACHE/command-$COMMAND_PROVIDER_VERSION/bin" || failed+=(pulumi-resource-command)

# --- kube-apiserver: k8s.io/kubernetes replaces every staging module with a local path; the wrapper
# points each at its published v0.N.M instead.
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
mapfile -t staging < <(curl -fsS --max-time 60 "$(go env GOPROXY | cut -d, -f1)/k8s.io/kubernetes/@v/$KUBE_VERSION.mod" \
  | sed -nE 's#^[[:space:]]*(k8s\.io/[a-z0-9-]+) => \./staging/.*#\1#p')
replaces=()
for m in "${staging[@]}"; do replaces+=("$m => $m $STAGING_VERSION"); done
# Some published staging modules have no entry in the checksum database behind this proxy (lookup 404).
# Those, and only those, are exempted from checksum-database verification; go.sum still pins their hashes.
nosum=()
for m in "${staging[@]}"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$(go env GOPROXY | cut -d, -f1)/sumdb/sum.golang.org/lookup/$m@$STAGING_VERSION")"
  if [[ "$code" == "404" ]]; then nosum+=("$m"); fi
done
if (( ${#nosum[@]} > 0 )); then
  log "kube-apiserver $KUBE_VERSION: no checksum-database entry for ${nosum[*]}; verifying those against go.sum only"
  GONOSUMDB="$(IFS=,; echo "${nosum[*]}")"
  export GONOSUMDB
fi
if (( ${#staging[@]} == 0 )); then
  log "kube-apiserver $KUBE_VERSION: could not read k8s.io/kubernetes's go.mod from the module proxy"
  record kube-apiserver unavailable "$KUBE_VERSION" ", \"command\": \"curl <GOPROXY>/k8s.io/kubernetes/@v/$KUBE_VERSION.mod\", \"error\": \"no staging replaces found\""
  failed+=(kube-apiserver)
else
  LDFLAGS="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$KUBE_VERSION")" \
    build_go kube-apiserver k8s.io/kubernetes "$KUBE_VERSION" k8s.io/kubernetes/cmd/kube-apiserver "$CACHE/kubernetes-$KUBE_VERSION/bin" "${replaces[@]}" || failed+=(kube-apiserver)
fi

# --- etcd from Debian.
if command -v etcd >/dev/null 2>&1; then
  record etcd built "$(etcd --version | sed -nE 's/^etcd Version: //p')" ", \"path\": $(json_string "$(command -v etcd)"), \"cached\": true"
  log "etcd: $(command -v etcd)"
else
  log "etcd: installing Debian's etcd-server"
  if { apt-get install -y --no-install-recommends etcd-server >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends etcd-server >/dev/null 2>&1; }; } && command -v etcd >/dev/null; then
    record etcd built "$(etcd --version | sed -nE 's/^etcd Version: //p')" ", \"path\": $(json_string "$(command -v etcd)")"
  else
    record etcd unavailable "" ", \"command\": \"apt-get install -y etcd-server\", \"error\": \"install failed\""
    failed+=(etcd)
  fi
fi
# A stopped Debian etcd service must not hold the default ports the e2e avoids anyway.
if command -v systemctl >/dev/null 2>&1; then systemctl stop etcd >/dev/null 2>&1 || true; fi

printf '  "totalSeconds": %d\n}\n' "$((SECONDS - started_all))" >> "$STATUS"
mv "$STATUS" "$CACHE/toolchain.json"
log "done in $((SECONDS - started_all)) s; status in $CACHE/toolchain.json"
if (( ${#failed[@]} > 0 )); then log "not built: ${failed[*]}"; fi

if [[ -n "$REQUIRED" ]]; then
  IFS=, read -ra need <<<"$REQUIRED"
  for n in "${need[@]}"; do
    for f in "${failed[@]}"; do
      if [[ "$f" == "$n" ]]; then log "required component $n is not built"; exit 1; fi
    done
  done
fi
exit 0
