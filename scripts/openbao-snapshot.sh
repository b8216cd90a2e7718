#!/usr/bin/env bash
# Pre-upgrade OpenBao raft snapshot, run by the PreUpgradeBackup component before any chart,
# operator or database change. Streams the snapshot off the pod, verifies it is a non-empty,
# intact gzip archive, uploads it to the object store beside the database backups
# (<destinationPath>openbao/<file>, server-side encrypted, with the credentials the Barman Cloud
# plugin uses) and checks the stored size, so it survives the machine that ran `pulumi up`; then
# prints its sha256 (the command's stdout, kept in the stack outputs). The token and the object-store
# keys never reach a command line: the token goes to the pod on stdin, the keys to curl as a config.
set -euo pipefail

: "${NAMESPACE:?NAMESPACE is required}"
: "${OPENBAO_POD:?OPENBAO_POD is required}"
: "${SNAPSHOT_FILE:?SNAPSHOT_FILE is required}"
: "${BAO_TOKEN:?BAO_TOKEN must hold an OpenBao token allowed to save raft snapshots}"
: "${DESTINATION_PATH:?DESTINATION_PATH (lockstep:backup.destinationPath) is required}"
: "${CREDENTIALS_SECRET:?CREDENTIALS_SECRET (lockstep:backup.credentialsSecret) is required}"
: "${ENCRYPTION:?ENCRYPTION (lockstep:backup.encryption) is required}"
REMOTE="/tmp/lockstep-pre-upgrade.snap"
# shellcheck source=kube.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube.sh"

echo "openbao-snapshot: saving raft snapshot on ${NAMESPACE}/${OPENBAO_POD}" >&2
printf '%s' "$BAO_TOKEN" | kube -n "$NAMESPACE" exec -i "$OPENBAO_POD" -- \
  sh -c "BAO_TOKEN=\"\$(cat)\" bao operator raft snapshot save ${REMOTE}" >&2

mkdir -p "$(dirname "$SNAPSHOT_FILE")"
kube -n "$NAMESPACE" exec "$OPENBAO_POD" -- cat "$REMOTE" > "${SNAPSHOT_FILE}.partial"
kube -n "$NAMESPACE" exec "$OPENBAO_POD" -- rm -f "$REMOTE" >&2 || true

if [[ ! -s "${SNAPSHOT_FILE}.partial" ]]; then
  echo "openbao-snapshot: the snapshot is empty; refusing to continue the upgrade" >&2
  rm -f "${SNAPSHOT_FILE}.partial"
  exit 1
fi
if ! gzip -t "${SNAPSHOT_FILE}.partial" 2>/dev/null; then
  echo "openbao-snapshot: the snapshot is not an intact gzip archive; refusing to continue the upgrade" >&2
  rm -f "${SNAPSHOT_FILE}.partial"
  exit 1
fi
mv "${SNAPSHOT_FILE}.partial" "$SNAPSHOT_FILE"
size="$(wc -c < "$SNAPSHOT_FILE" | tr -d ' ')"
sha="$(sha256sum "$SNAPSHOT_FILE" | cut -d' ' -f1)"
echo "openbao-snapshot: verified ${SNAPSHOT_FILE} (${size} bytes)" >&2

if [[ "$DESTINATION_PATH" != s3://* ]]; then
  echo "openbao-snapshot: lockstep:backup.destinationPath ${DESTINATION_PATH} is not an s3:// URL; the snapshot is uploaded with the S3 API" >&2
  exit 1
fi
location="${DESTINATION_PATH#s3://}"
bucket="${location%%/*}"
prefix="${location#"$bucket"}"
prefix="${prefix#/}"
[[ -z "$prefix" || "$prefix" == */ ]] || prefix="${prefix}/"
key="${prefix}openbao/$(basename "$SNAPSHOT_FILE")"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
if [[ -n "${ENDPOINT_URL:-}" ]]; then url="${ENDPOINT_URL%/}/${bucket}/${key}"; else url="https://${bucket}.s3.${region}.amazonaws.com/${key}"; fi

secret_key() {
  kube -n "$NAMESPACE" get secret "$CREDENTIALS_SECRET" -o "jsonpath={.data.$1}" | base64 -d
}
if ! access_key="$(secret_key ACCESS_KEY_ID)" || ! secret="$(secret_key ACCESS_SECRET_KEY)" ||
  [[ -z "$access_key" || -z "$secret" ]]; then
  echo "openbao-snapshot: Secret ${NAMESPACE}/${CREDENTIALS_SECRET} must hold ACCESS_KEY_ID and ACCESS_SECRET_KEY (the object-store credentials); refusing to continue the upgrade" >&2
  exit 1
fi
s3() {
  curl --silent --show-error --aws-sigv4 "aws:amz:${region}:s3" -K <(printf 'user = "%s:%s"\n' "$access_key" "$secret") "$@"
}

echo "openbao-snapshot: uploading to s3://${bucket}/${key} (server-side encryption ${ENCRYPTION})" >&2
answer="$(mktemp)"
trap 'rm -f "$answer"' EXIT
status="$(s3 -o "$answer" -w '%{http_code}' -X PUT --upload-file "$SNAPSHOT_FILE" \
  -H "x-amz-content-sha256: ${sha}" -H "x-amz-server-side-encryption: ${ENCRYPTION}" "$url")" || status="000"
if [[ "$status" != 2?? ]]; then
  echo "openbao-snapshot: the object store answered ${status} to the upload of s3://${bucket}/${key} (${url}): $(head -c 300 "$answer"); refusing to continue the upgrade" >&2
  exit 1
fi
stored="$(s3 -I -o /dev/null -w '%{http_code} %header{content-length}' -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$url")" || stored="000"
if [[ "$stored" != "200 ${size}" ]]; then
  echo "openbao-snapshot: s3://${bucket}/${key} does not hold the ${size} bytes uploaded (HEAD: ${stored}); refusing to continue the upgrade" >&2
  exit 1
fi
echo "openbao-snapshot: stored s3://${bucket}/${key} (${size} bytes, ${ENCRYPTION})" >&2
echo "$sha"
