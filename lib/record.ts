/** The release record the program writes into the cluster and the policy pack reads back. */
import { z } from "zod";
import { UPGRADE_MODES } from "./config";

export const releaseRecordSchema = z.object({
  stack: z.string(),
  release: z.string(),
  setDigest: z.string(),
  environment: z.enum(["staging", "prod"]),
  namespace: z.string(),
  /** The open window's source version, decided from the deployed state; null when closed. */
  upgradeFrom: z.string().nullable(),
  upgradeMode: z.enum(UPGRADE_MODES),
  gatewayCanaryPercent: z.number().nullable(),
  console: z.object({ blue: z.string(), green: z.string(), live: z.enum(["blue", "green"]) }),
  kubernetesVersion: z.string().nullable(),
  databaseCluster: z.string(),
  promotion: z.object({ version: z.string(), setDigest: z.string(), verifiedIn: z.string(), verifiedAt: z.string() }).nullable(),
  /** What the stack ran before this deployment: the start of every intermediate state. Null on a first install. */
  deployed: z.object({ release: z.string(), workloads: z.record(z.string(), z.string()) }).nullable(),
});

export type ReleaseRecordData = z.infer<typeof releaseRecordSchema>;
