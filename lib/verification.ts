/** The verification record a passed staging smoke test produces, and promotion reads. */
import { z } from "zod";
import { exactVersion, setDigestString } from "./schemas";

export const verificationRecordSchema = z.object({
  stack: z.string().min(1),
  version: exactVersion,
  setDigest: setDigestString,
  smoke: z.enum(["passed", "failed", "skipped"]),
  verifiedAt: z.string().nullable(),
  checks: z.array(z.string()).optional(),
});

export type VerificationRecord = z.infer<typeof verificationRecordSchema>;
