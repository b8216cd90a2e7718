#!/usr/bin/env bash
# Builds the real-engine toolchain from the registries this machine reaches (the Go module proxy and
# Debian), never from release downloads. Idempotent: every component is cached under
#   ${XDG_CACHE_HOME:-~/.cache}/lockstep/toolchain/<component>-<version>/
# and a second run only checks the cache. Writes toolchain.json there, with each component's status:
# "built" (its path, and the build seconds or "cached"), or "unavailable" with the exact command that
# failed and its error.
#
#   scripts/toolchain.sh [--require name,name]   exit 1 if a required component is not built
#   scripts/toolchain.sh --print-dir             print the cache directory and exit
#
# Components (real binaries; the command provider is a TypeScript test double, see test/e2e/doubles):
#   pulumi                   CLI, github.com/pulumi/pulumi/pkg/v3 v3.276.0 (v3.259.0 before 2026-12-03)
#   pulumi-resource-kubernetes  the real Kubernetes provider, github.com/pulumi/pulumi-kubernetes/provider/v4 at
#                            the only version the proxy serves, a pseudo-version of a 2026-01-15 commit
#   pulumi-language-nodejs   Node.js language host, github.com/pulumi/pulumi/sdk/v3 v3.68.0 (the last sdk/v3
#                            release that holds it; its own module is 403 at every version)
#   helm                     helm.sh/helm/v3 v3.22.0
#   kube-apiserver           k8s.io/kubernetes at KUBE_VERSION (inside every catalog release's range)
#   kube-controller-manager  k8s.io/kubernetes at KCM_VERSION (Deployments -> ReplicaSets -> Pods, EndpointSlices)
#   kwok                     sigs.k8s.io/kwok v0.8.0 (fake nodes; moves pods to Running/Ready)
#   prometheus               github.com/prometheus/prometheus v0.316.0 (Prometheus 3.x), built with
#                            -tags remove_all_sd (static and file targets only): the canary analysis's source
#   etcd                     Debian's etcd-server
set -euo pipefail
cd "$(dirname "$0")/.."

PULUMI_VERSION="${PULUMI_VERSION:-v3.276.0}"
LANGHOST_SDK_VERSION="${LANGHOST_SDK_VERSION:-v3.68.0}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUBE_VERSION="${KUBE_VERSION:-v1.31.14}"
KCM_VERSION="${KCM_VERSION:-v1.30.14}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
PROMETHEUS_RELEASE="${PROMETHEUS_RELEASE:-3.16.0}" # what v0.316.0 of the module releases
K8S_PROVIDER_VERSION="${K8S_PROVIDER_VERSION:-v4.0.0-20260115033456-f47bc2d6f199}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/lockstep/toolchain"
if [[ "${1:-}" == "--print-dir" ]]; then echo "$CACHE"; exit 0; fi
REQUIRED=""
if [[ "${1:-}" == "--require" ]]; then REQUIRED="${2:-}"; fi
mkdir -p "$CACHE"
STATUS="$CACHE/toolchain.json.partial"
echo "{" > "$STATUS"
started_all=$SECONDS
GO_LANG="$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')"

log() { echo "toolchain: $*" >&2; }
record() { # record <name> <status> <version> <detail-json-fields>
  printf '  "%s": {"status": "%s", "version": "%s"%s},\n' "$1" "$2" "$3" "${4:-}" >> "$STATUS"
}
json_string() { node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"; }

# Builds one Go package inside a generated wrapper module: `go install` refuses modules with replace
# directives, so the wrapper requires the module at a version and repeats the replaces it needs,
# pointed at published versions.
# Usage: build_go <name> <version> <package> <out-dir> <ldflags> <requires...> -- [replace lines...]
# (GONOSUMDB, when set by the caller, is passed through to go; so is GO_TAGS, as -tags.)
#   a require is "<module> <version>"; the first one is probed through the proxy before building.
build_go() {
  local name="$1" version="$2" package="$3" out="$4" ldflags="$5"; shift 5
  local requires=() replaces=()
  while (($#)); do
    if [[ "$1" == "--" ]]; then shift; replaces=("$@"); break; fi
    requires+=("$1"); shift
  done
  local bin="$out/$name"
  if [[ -x "$bin" ]]; then
    log "$name $version: cached at $bin"
    record "$name" built "$version" ", \"path\": $(json_string "$bin"), \"cached\": true"
    return 0
  fi
  local work; work="$(mktemp -d)"
  local started=$SECONDS
  {
    echo "module lockstep.local/toolchain/$name"
    echo
    echo "go $GO_LANG"
    echo
    for r in "${requires[@]}"; do echo "require $r"; done
    for r in "${replaces[@]}"; do echo "replace $r"; done
  } > "$work/go.mod"
  local probe="${requires[0]/ /@}"
  local cmd="go mod download -json $probe"
  log "$name $version: resolving $probe through the Go module proxy"
  local err
  if ! err="$(cd "$work" && go mod download -json "$probe" 2>&1)" || grep -q '"Error"' <<<"$err"; then
    local msg; msg="$(grep -o '"Error": "[^"]*' <<<"$err" | head -1 | sed 's/"Error": "//' || true)"
    [[ -n "$msg" ]] || msg="$(tail -1 <<<"$err")"
    log "$name $version: UNAVAILABLE: $cmd -> $msg"
    record "$name" unavailable "$version" ", \"command\": $(json_string "$cmd"), \"error\": $(json_string "$msg")"
    rm -rf "$work"; return 1
  fi
  log "$name $version: compiling $package (a cold build takes minutes on 2 cores)"
  mkdir -p "$out"
  # -mod=mod resolves only what this package needs (go mod tidy would also want every test dependency,
  # and the proxy refuses some of those zips).
  if ! err="$(cd "$work" && GOFLAGS=-mod=mod go build -trimpath ${GO_TAGS:+-tags "$GO_TAGS"} -ldflags "-s -w $ldflags" -o "$bin.tmp" "$package" 2>&1)"; then
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

# --- Pulumi CLI. pkg/go.mod replaces sdk/v3 with ../sdk and the clipboard module with a fork; the
# wrapper requires sdk/v3 at the same version and repeats the fork.
build_go pulumi "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$CACHE/pulumi-$PULUMI_VERSION/bin" \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
  "github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION" -- \
  "github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e" || failed+=(pulumi)

# --- Node.js language host, from the last sdk/v3 release that contains it.
build_go pulumi-language-nodejs "$LANGHOST_SDK_VERSION" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
  "$CACHE/pulumi-language-nodejs-$LANGHOST_SDK_VERSION/bin" \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_SDK_VERSION" \
  "github.com/pulumi/pulumi/sdk/v3 $LANGHOST_SDK_VERSION" || failed+=(pulumi-language-nodejs)

# --- Helm: `helm template` in the tests and manual checks (the provider embeds its own Helm library).
build_go helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "$CACHE/helm-$HELM_VERSION/bin" \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3 $HELM_VERSION" || failed+=(helm)

# --- The real Kubernetes provider. `go install` refuses its module (a local replace of sdk/v4), and its
# main package embeds two files that upstream's `go generate` writes from files beside them. So the
# module is copied out of the module cache, its one local replace is dropped (sdk/v4 then resolves to
# the published version its go.mod requires), the generator writes the embed files with the schema's
# version set, and the copy is built as the main module. The binary reports the pseudo-version itself.
build_kubernetes_provider() {
  local name=pulumi-resource-kubernetes version="$K8S_PROVIDER_VERSION"
  local module=github.com/pulumi/pulumi-kubernetes/provider/v4
  local out="$CACHE/$name-$version/bin" bin
  bin="$out/$name"
  if [[ -x "$bin" ]]; then
    log "$name $version: cached at $bin"
    record "$name" built "$version" ", \"path\": $(json_string "$bin"), \"cached\": true"
    return 0
  fi
  local work started=$SECONDS err dir
  work="$(mktemp -d)"
  local cmd="go mod download -json $module@$version"
  log "$name $version: resolving $module@$version through the Go module proxy"
  if ! err="$(cd "$work" && go mod download -json "$module@$version" 2>&1)" || grep -q '"Error"' <<<"$err"; then
    local msg; msg="$(grep -o '"Error": "[^"]*' <<<"$err" | head -1 | sed 's/"Error": "//' || true)"
    [[ -n "$msg" ]] || msg="$(tail -1 <<<"$err")"
    log "$name $version: UNAVAILABLE: $cmd -> $msg"
    record "$name" unavailable "$version" ", \"command\": $(json_string "$cmd"), \"error\": $(json_string "$msg")"
    rm -rf "$work"; return 1
  fi
  dir="$(sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p' <<<"$err")"
  cp -r "$dir" "$work/provider" && chmod -R u+w "$work/provider"
  sed -i -E '/^replace github\.com\/pulumi\/pulumi-kubernetes\/sdk\/v4 => \.\.\/sdk$/d' "$work/provider/go.mod"
  local plain="${version#v}"
  log "$name $version: writing the schema embed files (upstream's generate.go, VERSION=$plain)"
  if ! err="$(cd "$work/provider/cmd/$name" && VERSION="$plain" GOFLAGS=-mod=mod go run generate.go 2>&1)"; then
    log "$name $version: GENERATE FAILED: $(tail -3 <<<"$err")"
    record "$name" unavailable "$version" ", \"command\": \"go run generate.go\", \"error\": $(json_string "$(tail -3 <<<"$err")")"
    rm -rf "$work"; return 1
  fi
  log "$name $version: compiling $module/cmd/$name (a cold build takes 10 min or more on 2 cores)"
  mkdir -p "$out"
  if ! err="$(cd "$work/provider" && GOFLAGS=-mod=mod go build -trimpath \
      -ldflags "-s -w -X $module/pkg/version.Version=$plain" -o "$bin.tmp" "./cmd/$name" 2>&1)"; then
    log "$name $version: BUILD FAILED: go build ./cmd/$name -> $(tail -3 <<<"$err")"
    record "$name" unavailable "$version" ", \"command\": \"go build ./cmd/$name\", \"error\": $(json_string "$(tail -3 <<<"$err")")"
    rm -rf "$work"; return 1
  fi
  mv "$bin.tmp" "$bin"
  rm -rf "$work"
  log "$name $version: built in $((SECONDS - started)) s -> $bin"
  record "$name" built "$version" ", \"path\": $(json_string "$bin"), \"seconds\": $((SECONDS - started))"
}
build_kubernetes_provider || failed+=(pulumi-resource-kubernetes)

# --- kube-apiserver and kube-controller-manager: k8s.io/kubernetes replaces every staging module with a
# local path; the wrapper points each at its published v0.N.M instead. The proxy refuses some staging
# modules at some patch versions (kube-scheduler at v0.31.14, which kube-controller-manager needs), so the
# controller manager is built from the newest v1.30 patch it serves: one minor older than the API server,
# inside Kubernetes' version skew policy.
PROXY="$(go env GOPROXY | cut -d, -f1)"
build_kube() { # build_kube <component> <k8s version>
  local component="$1" version="$2"
  local staging_version="v0.${version#v1.}"
  local out="$CACHE/kubernetes-$version/bin"
  if [[ -x "$out/$component" ]]; then
    log "$component $version: cached at $out/$component"
    record "$component" built "$version" ", \"path\": $(json_string "$out/$component"), \"cached\": true"
    return 0
  fi
  local staging
  mapfile -t staging < <(curl -fsS --max-time 60 "$PROXY/k8s.io/kubernetes/@v/$version.mod" \
    | sed -nE 's#^[[:space:]]*(k8s\.io/[a-z0-9-]+) => \./staging/.*#\1#p')
  if (( ${#staging[@]} == 0 )); then
    log "$component $version: could not read k8s.io/kubernetes's go.mod from the module proxy"
    record "$component" unavailable "$version" ", \"command\": \"curl <GOPROXY>/k8s.io/kubernetes/@v/$version.mod\", \"error\": \"no staging replaces found\""
    return 1
  fi
  local replaces=() nosum=() m code
  for m in "${staging[@]}"; do
    replaces+=("$m => $m $staging_version")
    # Some published staging modules have no entry in the checksum database behind this proxy (lookup
    # 404). Those, and only those, skip checksum-database verification; go.sum still pins their hashes.
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$PROXY/sumdb/sum.golang.org/lookup/$m@$staging_version")"
    if [[ "$code" == "404" ]]; then nosum+=("$m"); fi
  done
  if (( ${#nosum[@]} > 0 )); then log "$component $version: no checksum-database entry for ${nosum[*]}; verifying those against go.sum only"; fi
  local ldflags="-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$version")"
  GONOSUMDB="$(IFS=,; echo "${nosum[*]}")" build_go "$component" "$version" "k8s.io/kubernetes/cmd/$component" "$out" "$ldflags" \
    "k8s.io/kubernetes $version" -- "${replaces[@]}"
}
build_kube kube-apiserver "$KUBE_VERSION" || failed+=(kube-apiserver)
build_kube kube-controller-manager "$KCM_VERSION" || failed+=(kube-controller-manager)

# --- kwok: fake nodes, and pod phases moved by its Stage resources.
build_go kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok "$CACHE/kwok-$KWOK_VERSION/bin" \
  "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
  "sigs.k8s.io/kwok $KWOK_VERSION" || failed+=(kwok)

# --- Prometheus: the metrics source of the canary analysis (canary.e2e.ts), scraping a test double of
# the gateways' /metrics. No service discovery but static and file targets: a third of the build.
GO_TAGS=remove_all_sd build_go prometheus "$PROMETHEUS_VERSION" github.com/prometheus/prometheus/cmd/prometheus \
  "$CACHE/prometheus-$PROMETHEUS_VERSION/bin" \
  "-X github.com/prometheus/common/version.Version=$PROMETHEUS_RELEASE" \
  "github.com/prometheus/prometheus $PROMETHEUS_VERSION" || failed+=(prometheus)

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
# A Debian etcd service started by the package must not hold the default ports.
if command -v systemctl >/dev/null 2>&1; then systemctl stop etcd >/dev/null 2>&1 || true; fi

printf '  "totalSeconds": %d\n}\n' "$((SECONDS - started_all))" >> "$STATUS"
mv "$STATUS" "$CACHE/toolchain.json"
log "done in $((SECONDS - started_all)) s; status in $CACHE/toolchain.json"
if (( ${#failed[@]} > 0 )); then log "not built: ${failed[*]}"; fi

if [[ -n "$REQUIRED" ]]; then
  IFS=, read -ra need <<<"$REQUIRED"
  for n in "${need[@]}"; do
    for f in "${failed[@]}"; do
      if [[ "$f" == "$n" ]]; then log "required component $n is not built; see $CACHE/toolchain.json"; exit 1; fi
    done
  done
fi
exit 0
