/** The verification record a passed staging smoke test produces, and promotion reads. */
import { z } from "zod";

export const verificationRecordSchema = z.object({
  stack: z.string().min(1),
  version: z.string().min(1),
  setDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/, { message: "must be a set digest like sha256:<64 hex>" }),
  smoke: z.enum(["passed", "failed", "skipped"]),
  verifiedAt: z.string().nullable(),
  checks: z.array(z.string()).optional(),
});

export type VerificationRecord = z.infer<typeof verificationRecordSchema>;
