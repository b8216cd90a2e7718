#!/usr/bin/env bash
# Post-rollout smoke verification, run by the Verification component (a command:local:Command).
# Passes when every configured health endpoint answers 200 and a prompt the platform's guardrail
# policy must block answers EXPECTED_STATUS (409). On a pass it prints "verification: passed" and,
# when RECORD_FILE is set, writes the verification record `lockstep promote --record` reads.
set -euo pipefail

: "${GATEWAY_URL:?GATEWAY_URL is required}"
: "${BLOCKED_PROMPT:?BLOCKED_PROMPT is required}"
: "${RELEASE:?RELEASE is required}"
: "${SET_DIGEST:?SET_DIGEST is required}"
EXPECTED_STATUS="${EXPECTED_STATUS:-409}"
TOKEN_ENV="${TOKEN_ENV:-LOCKSTEP_SMOKE_TOKEN}"
TOKEN="${!TOKEN_ENV:-}"
STACK="${STACK:-unknown}"
CURL=(curl --silent --show-error --output /dev/null --write-out '%{http_code}' --max-time 15)

failures=0
checks=()

expect() { # expect <name> <wanted status> <curl args...>
  local name="$1" want="$2"; shift 2
  local got
  for _ in 1 2 3 4 5; do
    got="$("${CURL[@]}" "$@" 2>/dev/null || true)"
    [[ "$got" == "$want" ]] && break
    sleep "${SMOKE_RETRY_DELAY:-3}"
  done
  if [[ "$got" == "$want" ]]; then
    echo "smoke: ok    ${name}: ${got}"
  else
    echo "smoke: FAIL  ${name}: got ${got:-no answer}, want ${want}" >&2
    failures=$((failures + 1))
  fi
  checks+=("$name")
}

auth=()
[[ -n "$TOKEN" ]] && auth=(-H "Authorization: Bearer ${TOKEN}")

[[ -n "${API_URL:-}" ]] && expect "api ${API_URL}/readyz" 200 "${API_URL%/}/readyz"
expect "gateway ${GATEWAY_URL}/readyz" 200 "${GATEWAY_URL%/}/readyz"
[[ -n "${CONSOLE_URL:-}" ]] && expect "console ${CONSOLE_URL}/api/health" 200 "${CONSOLE_URL%/}/api/health"

body="$(BLOCKED_PROMPT="$BLOCKED_PROMPT" node -e 'process.stdout.write(JSON.stringify({model: "smoke-test", messages: [{role: "user", content: process.env.BLOCKED_PROMPT}]}))')"
expect "guardrail blocks the test prompt" "$EXPECTED_STATUS" -X POST "${GATEWAY_URL%/}/v1/chat/completions" \
  -H "Content-Type: application/json" "${auth[@]}" --data "$body"

if (( failures > 0 )); then
  echo "verification: failed (${failures} check(s)) for ${RELEASE} ${SET_DIGEST}" >&2
  exit 1
fi

VERIFIED_AT="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
if [[ -n "${RECORD_FILE:-}" ]]; then
  mkdir -p "$(dirname "$RECORD_FILE")"
  STACK="$STACK" RELEASE="$RELEASE" SET_DIGEST="$SET_DIGEST" VERIFIED_AT="$VERIFIED_AT" CHECKS="$(printf '%s\n' "${checks[@]}")" node -e '
    const record = { stack: process.env.STACK, version: process.env.RELEASE, setDigest: process.env.SET_DIGEST,
      smoke: "passed", verifiedAt: process.env.VERIFIED_AT, checks: process.env.CHECKS.split("\n").filter(Boolean) };
    process.stdout.write(JSON.stringify(record, null, 2) + "\n");' > "$RECORD_FILE.tmp"
  mv "$RECORD_FILE.tmp" "$RECORD_FILE"
  echo "smoke: wrote verification record ${RECORD_FILE}"
fi
echo "verified-at: ${VERIFIED_AT}"
echo "verification: passed"
