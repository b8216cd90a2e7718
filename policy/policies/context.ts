/**
 * What policies share: the catalog, the release record the program writes, and lookups over the
 * stack's resources. Plain functions, no registration side effects.
 */
import type { PolicyResource } from "@pulumi/policy";
import { Catalog, CHARTS, DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import { ReleaseRecordData, releaseRecordSchema } from "../../lib/state/record";
import { HELM_RELEASES, LABELS, RELEASE_RECORD_KEY, RELEASE_RECORD_NAME } from "../../lib/core/names";
import type { z } from "zod";
import { cnpgClusterShape, configMapShape, Deployment, deploymentShape, labelsOf, view } from "./shapes";

export const TYPES = {
  deployment: "kubernetes:apps/v1:Deployment",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  httpRoute: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  cnpgCluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
  cnpgBackup: "kubernetes:postgresql.cnpg.io/v1:Backup",
  cnpgScheduledBackup: "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
  objectStore: "kubernetes:barmancloud.cnpg.io/v1:ObjectStore",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  command: "command:local:Command",
} as const;

/** The chart each Helm release name installs. */
export const CHART_OF_RELEASE = new Map(CHARTS.map((key) => [HELM_RELEASES[key] as string, key]));

let cachedCatalog: Catalog | undefined;
/** The catalog the policies judge against: the one the plan loaded, or `releases/` beside the pack. */
export function catalog(): Catalog {
  cachedCatalog ??= loadCatalog(DEFAULT_CATALOG_DIR);
  return cachedCatalog;
}

/** Lets the offline plan hand over the catalog it validated config against (`--catalog`), loaded once. */
export function usePolicyCatalog(loaded: Catalog): void {
  cachedCatalog = loaded;
}

export type RecordLookup =
  { record: ReleaseRecordData; resource: PolicyResource } | { error: string; resource?: PolicyResource } | undefined;

/** Finds and parses the `lockstep-release` ConfigMap; undefined when the stack has none (not a lockstep stack). */
export function releaseRecord(resources: readonly PolicyResource[]): RecordLookup {
  const resource = resources.find(
    (r) => r.type === TYPES.configMap && view(configMapShape, r.props)?.metadata?.name === RELEASE_RECORD_NAME,
  );
  if (!resource) return undefined;
  const raw = view(configMapShape, resource.props)?.data?.[RELEASE_RECORD_KEY];
  if (raw === undefined)
    return { error: `ConfigMap ${RELEASE_RECORD_NAME} must have a ${RELEASE_RECORD_KEY} key`, resource };
  try {
    const parsed = releaseRecordSchema.safeParse(JSON.parse(raw));
    if (!parsed.success)
      return {
        error: `ConfigMap ${RELEASE_RECORD_NAME} ${RELEASE_RECORD_KEY} must match the record schema: ${parsed.error.issues[0].path.join(".")}: ${parsed.error.issues[0].message}`,
        resource,
      };
    return { record: parsed.data, resource };
  } catch {
    return { error: `ConfigMap ${RELEASE_RECORD_NAME} ${RELEASE_RECORD_KEY} must be JSON`, resource };
  }
}

/** The parsed release record, or undefined when it is absent or unreadable (kubernetes-baseline reports that). */
export function readableRecord(
  resources: readonly PolicyResource[],
): { record: ReleaseRecordData; resource: PolicyResource } | undefined {
  const found = releaseRecord(resources);
  return found && !("error" in found) ? found : undefined;
}

export interface DeployedWorkload {
  resource: PolicyResource;
  deployment: Deployment;
  name: string;
  labels: Record<string, string>;
  component?: string;
  version?: string;
}

/** Deployments with their labels read out; the ones lockstep manages carry component and version labels. */
export function deployments(resources: readonly PolicyResource[]): DeployedWorkload[] {
  return resources
    .filter((r) => r.type === TYPES.deployment)
    .flatMap((resource) => {
      const deployment = view(deploymentShape, resource.props);
      if (!deployment) return [];
      const labels = labelsOf(resource.props);
      return [
        {
          resource,
          deployment,
          name: deployment.metadata?.name ?? resource.name,
          labels,
          component: labels[LABELS.component],
          version: labels[LABELS.version],
        },
      ];
    });
}

/** Whether every `selector` entry is present in `labels` (a Kubernetes equality selector). */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The stack's CloudNativePG Clusters, each with its view and its Kubernetes name (else its resource name). */
export function cnpgClusters(
  resources: readonly PolicyResource[],
): { resource: PolicyResource; cluster: z.infer<typeof cnpgClusterShape>; name: string }[] {
  return resources
    .filter((r) => r.type === TYPES.cnpgCluster)
    .flatMap((resource) => {
      const cluster = view(cnpgClusterShape, resource.props);
      return cluster ? [{ resource, cluster, name: cluster.metadata?.name ?? resource.name }] : [];
    });
}

/**
 * Whether the engine holds `resource` back until `target` is done: `target` is among its dependencies, or
 * among theirs, or among any ancestor's (a component's `dependsOn` holds back everything inside it). The
 * graph, not only direct edges: each wave names only the wave before it and the backups.
 */
export function waitsFor(resource: PolicyResource, target: PolicyResource): boolean {
  const seen = new Set<string>();
  const queue: PolicyResource[] = [resource];
  for (let r = queue.shift(); r; r = queue.shift()) {
    if (seen.has(r.urn)) continue;
    seen.add(r.urn);
    if (r.dependencies.some((d) => d.urn === target.urn)) return true;
    queue.push(...r.dependencies);
    if (r.parent) queue.push(r.parent);
  }
  return false;
}
