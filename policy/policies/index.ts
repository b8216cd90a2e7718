/**
 * Every lockstep policy, listed explicitly: the pack and the offline plan both take this list, so
 * nothing is registered by importing a module.
 */
import type { Policies } from "@pulumi/policy";
import { disruptionBudget, rollingSafety } from "./availability";
import { backupSnapshotClass, databaseBackup, preUpgradeBackup } from "./backup";
import { canaryAnalysis } from "./canary";
import { kubernetesBaseline, podSecurity } from "./cluster";
import { networkIsolation } from "./network";
import { restoreIntegrity, rollbackWithData } from "./recovery";
import { prodPromotedOnly, releaseSetPinned } from "./release";
import { blueGreenIntegrity, canaryBounds, mixedVersionCompatibility, upgradePath } from "./versions";

export {
  disruptionBudget,
  rollingSafety,
  databaseBackup,
  preUpgradeBackup,
  backupSnapshotClass,
  kubernetesBaseline,
  podSecurity,
  prodPromotedOnly,
  releaseSetPinned,
  blueGreenIntegrity,
  canaryBounds,
  canaryAnalysis,
  mixedVersionCompatibility,
  upgradePath,
  networkIsolation,
  restoreIntegrity,
  rollbackWithData,
};

export const ALL_POLICIES: Policies = [
  releaseSetPinned,
  mixedVersionCompatibility,
  upgradePath,
  preUpgradeBackup,
  disruptionBudget,
  rollingSafety,
  databaseBackup,
  backupSnapshotClass,
  blueGreenIntegrity,
  canaryBounds,
  canaryAnalysis,
  kubernetesBaseline,
  podSecurity,
  prodPromotedOnly,
  networkIsolation,
  restoreIntegrity,
  rollbackWithData,
];
