/**
 * The fleet as Pulumi Kubernetes Operator (v2) objects: one `pulumi.com/v1` Stack per install, whose
 * prerequisites encode the ring order (every install of the ring before, recently succeeded) and the
 * staging-verified rule (the first ring waits on the verifying stack). Pure: the CLI renders these as YAML.
 */
import { LABELS, PART_OF } from "../core/names";

export interface OperatorExportOptions {
  /** Namespace of the Stack objects (where the operator runs their workspaces). */
  namespace: string;
  /** Git repository of this project, and the exact commit every install runs. */
  repo: string;
  commit: string;
  /** Folder of the project inside the repository. @default "." */
  repoDir?: string;
  /** The Secret holding the tokens (keys: PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE, BAO_TOKEN, LOCKSTEP_SMOKE_TOKEN). */
  tokensSecret: string;
  /** How recently a prerequisite must have succeeded. @default "24h" */
  prerequisiteWithin?: string;
  /** The workspace pod's ServiceAccount. @default "pulumi" */
  serviceAccountName?: string;
}

export interface ExportInstall {
  stack: string;
  ring: string;
  /** Config the operator sets over the checked-in stack file (the release, the promotion record). */
  config: Record<string, unknown>;
}

export const TOKEN_KEYS = [
  "PULUMI_ACCESS_TOKEN",
  "PULUMI_CONFIG_PASSPHRASE",
  "BAO_TOKEN",
  "LOCKSTEP_SMOKE_TOKEN",
] as const;

/** A Stack object name: the stack name as a DNS label (`acme/eu-prod` -> `acme-eu-prod`). */
export function stackObjectName(stack: string): string {
  return stack
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
}

/**
 * The workspace each Stack runs in: requests for CPU, memory and ephemeral storage (the engine, the
 * plugins and the charts it downloads fill the pod's disk; without a request the kubelet evicts it).
 */
export function workspaceTemplate(serviceAccountName: string) {
  return {
    spec: {
      serviceAccountName,
      securityProfile: "restricted",
      resources: {
        requests: { cpu: "1", memory: "2Gi", "ephemeral-storage": "4Gi" },
        limits: { memory: "4Gi", "ephemeral-storage": "8Gi" },
      },
    },
  };
}

function stackObject(
  install: ExportInstall,
  prerequisites: string[],
  options: OperatorExportOptions,
  verifier: boolean,
) {
  return {
    apiVersion: "pulumi.com/v1",
    kind: "Stack",
    metadata: {
      name: stackObjectName(install.stack),
      namespace: options.namespace,
      labels: { [LABELS.partOf]: PART_OF, [LABELS.ring]: verifier ? "verification" : install.ring },
    },
    spec: {
      stack: install.stack,
      projectRepo: options.repo,
      commit: options.commit,
      repoDir: options.repoDir ?? ".",
      config: install.config,
      envRefs: Object.fromEntries(
        TOKEN_KEYS.map((key) => [key, { type: "Secret", secret: { name: options.tokensSecret, key } }]),
      ),
      refresh: true,
      destroyOnFinalize: false,
      ...(prerequisites.length
        ? {
            prerequisites: prerequisites.map((name) => ({
              name,
              requirement: { succeededWithinDuration: options.prerequisiteWithin ?? "24h" },
            })),
          }
        : {}),
      workspaceTemplate: workspaceTemplate(options.serviceAccountName ?? "pulumi"),
    },
  };
}

/** The verifying stack first (no prerequisite), then each ring waiting on the one before it. */
export function renderOperatorStacks(
  verifier: ExportInstall,
  installs: readonly ExportInstall[],
  rings: readonly string[],
  options: OperatorExportOptions,
) {
  const objects = [stackObject(verifier, [], options, true)];
  let before = [stackObjectName(verifier.stack)];
  for (const ring of rings) {
    const members = installs.filter((i) => i.ring === ring);
    if (!members.length) continue;
    objects.push(...members.map((i) => stackObject(i, before, options, false)));
    before = members.map((i) => stackObjectName(i.stack));
  }
  return objects;
}
