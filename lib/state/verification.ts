/** The verification record a passed staging smoke test produces, and promotion reads. */
import { z } from "zod";
import { exactVersion, setDigestString } from "../release/schemas";

export const verificationRecordSchema = z.object({
  stack: z.string().min(1),
  version: exactVersion,
  setDigest: setDigestString,
  smoke: z.enum(["passed", "failed", "skipped"]),
  verifiedAt: z.string().nullable(),
  checks: z.array(z.string()).optional(),
});

export type VerificationRecord = z.infer<typeof verificationRecordSchema>;

/** The verification a stack's last outputs hold (its release and its smoke test's result), for the schema to parse. */
export function verificationInOutputs(stack: string, outputs: Record<string, unknown>): Record<string, unknown> {
  const release = outputs.release as { version?: string; setDigest?: string } | undefined;
  const verification = outputs.verification as { status?: string; verifiedAt?: string | null } | undefined;
  return {
    stack,
    version: release?.version,
    setDigest: release?.setDigest,
    smoke: verification?.status ?? "skipped",
    verifiedAt: verification?.verifiedAt ?? null,
  };
}
