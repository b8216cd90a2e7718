/**
 * The zod pieces every file format here shares (catalog, stack config, verification records), so an
 * exact version or a digest means the same thing wherever it is parsed.
 */
import * as semver from "semver";
import { z } from "zod";

/** `repo@sha256:<64 hex>`, optionally with a tag before the digest (`repo:tag@sha256:...`). */
export const DIGEST_IMAGE = /^[a-z0-9]+(?:[._\-/:][a-z0-9]+)*(?::[\w][\w.-]{0,127})?@sha256:[a-f0-9]{64}$/;
/** A release set digest: `sha256:<64 hex>`. */
export const SET_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** An exact `x.y.z` version: no `v` prefix, no pre-release or build metadata. */
export const EXACT_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export const exactVersion = z.string().regex(EXACT_VERSION, {
  message: "must be an exact version x.y.z like 1.5.0 (no v prefix, pre-release or build suffix)",
});
export const semverRange = z
  .string()
  .refine((r) => semver.validRange(r) !== null, { message: "must be a semver range like 1.4.x" });
export const digestImage = z.string().regex(DIGEST_IMAGE, {
  message: "must be an image pinned by digest, like registry/repo@sha256:<64 hex>; a tag alone is not allowed",
});
export const setDigestString = z.string().regex(SET_DIGEST, { message: "must be a set digest like sha256:<64 hex>" });
export const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
  message: "must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)",
});
export const kubernetesMinor = z.string().regex(/^1\.\d+$/, { message: "must be a Kubernetes minor like 1.31" });
export const absoluteUrl = z.string().url({ message: "must be an absolute URL" });

/**
 * A boolean as `pulumi config set` writes it: `pulumi config set lockstep:ha false` stores the string
 * "false" (even with `--type bool`), so "true" and "false" are accepted exactly like true and false.
 */
export function boolish(message = "must be true or false") {
  return z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean({ message }));
}

/** A whole number, also as the decimal string a quoted YAML value or `pulumi config set` holds. */
export function wholeNumber(min: number, max: number, message = `must be a whole number from ${min} to ${max}`) {
  return z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    // zod gives its checks the schema's own message: one message for every way a value fails.
    z.number({ message }).int().min(min).max(max),
  );
}
