/** The release record the program writes into the cluster and the policy pack reads back. */
import { z } from "zod";

export const releaseRecordSchema = z.object({
  stack: z.string(),
  release: z.string(),
  setDigest: z.string(),
  environment: z.enum(["staging", "prod"]),
  namespace: z.string(),
  upgradeFrom: z.string().nullable(),
  gatewayCanaryPercent: z.number().nullable(),
  console: z.object({ blue: z.string(), green: z.string(), live: z.enum(["blue", "green"]) }),
  kubernetesVersion: z.string().nullable(),
  databaseCluster: z.string(),
  promotion: z.object({ version: z.string(), setDigest: z.string(), verifiedIn: z.string(), verifiedAt: z.string() }).nullable(),
});

export type ReleaseRecordData = z.infer<typeof releaseRecordSchema>;
