#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built from the Go module proxy at a pinned version
# (cached in Go's bin directory, so only the first run builds it: about 25 s).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.7.12
BIN="$(go env GOPATH)/bin/actionlint"
if ! { [[ -x "$BIN" ]] && "$BIN" -version | head -1 | grep -qx "$VERSION"; }; then
  echo "lint-workflows: building actionlint ${VERSION} from the Go module proxy" >&2
  go install "github.com/rhysd/actionlint/cmd/actionlint@${VERSION}"
fi
"$BIN" -version | head -1 >&2
"$BIN" .github/workflows/*.yml
echo "lint-workflows: .github/workflows clean"
