/**
 * Typed views of the Kubernetes objects the policies read. Policies receive untyped props from the
 * engine; these zod shapes narrow them once. They are strip-mode objects on purpose: they read only
 * the fields they declare. At preview the analyzer throws on any read of a value not yet known (such
 * as `status`), and turns the whole policy into an advisory "can't run during preview" result.
 */
import { z } from "zod";
import { RELEASE_RECORD_KEY } from "../../lib/core/names";
import { valueAt } from "../../lib/core/objects";

const labels = z.record(z.string(), z.string()).optional();
const metadata = z
  .object({ name: z.string().optional(), namespace: z.string().optional(), labels, annotations: labels })
  .optional();
const intOrString = z.union([z.number(), z.string()]);

const envVar = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z.object({ secretKeyRef: z.object({ name: z.string(), key: z.string() }).optional() }).optional(),
});
const httpProbe = z.object({ httpGet: z.object({ path: z.string().optional(), port: intOrString }).optional() });
export const securityContextShape = z.object({
  runAsNonRoot: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  privileged: z.boolean().optional(),
  capabilities: z.object({ drop: z.array(z.string()).optional(), add: z.array(z.string()).optional() }).optional(),
  seccompProfile: z.object({ type: z.string() }).optional(),
});
const resourceList = z.object({ cpu: intOrString.optional(), memory: intOrString.optional() });
export const containerShape = z.object({
  name: z.string(),
  image: z.string().optional(),
  env: z.array(envVar).optional(),
  readinessProbe: httpProbe.optional(),
  lifecycle: z
    .object({
      preStop: z
        .object({
          exec: z.object({ command: z.array(z.string()) }).optional(),
          sleep: z.object({ seconds: z.number() }).optional(),
        })
        .optional(),
    })
    .optional(),
  securityContext: securityContextShape.optional(),
  resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).optional(),
});
export type Container = z.infer<typeof containerShape>;

export const podSpecShape = z.object({
  containers: z.array(containerShape).default([]),
  initContainers: z.array(containerShape).optional(),
  securityContext: securityContextShape.optional(),
  terminationGracePeriodSeconds: z.number().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  volumes: z.array(z.object({ name: z.string(), hostPath: z.unknown().optional() })).optional(),
  affinity: z.object({ podAntiAffinity: z.unknown().optional() }).optional(),
  topologySpreadConstraints: z.array(z.unknown()).optional(),
});
export type PodSpec = z.infer<typeof podSpecShape>;

const template = z.object({ metadata, spec: podSpecShape.optional() });

export const deploymentShape = z.object({
  metadata,
  spec: z
    .object({
      replicas: z.number().optional(),
      selector: z.object({ matchLabels: labels }).optional(),
      strategy: z
        .object({
          type: z.string().optional(),
          rollingUpdate: z
            .object({ maxUnavailable: intOrString.optional(), maxSurge: intOrString.optional() })
            .optional(),
        })
        .optional(),
      template: template.optional(),
    })
    .optional(),
});
export type Deployment = z.infer<typeof deploymentShape>;

export const pdbShape = z.object({
  metadata,
  spec: z
    .object({
      minAvailable: intOrString.optional(),
      maxUnavailable: intOrString.optional(),
      selector: z.object({ matchLabels: labels }).optional(),
    })
    .optional(),
});

export const serviceShape = z.object({ metadata, spec: z.object({ selector: labels }).optional() });

export const httpRouteShape = z.object({
  metadata,
  spec: z
    .object({
      rules: z
        .array(
          z.object({ backendRefs: z.array(z.object({ name: z.string(), weight: z.number().optional() })).optional() }),
        )
        .default([]),
    })
    .optional(),
});

const pluginRef = z.object({
  name: z.string(),
  isWALArchiver: z.boolean().optional(),
  parameters: z.record(z.string(), z.string()).optional(),
});
export const cnpgClusterShape = z.object({
  metadata,
  spec: z
    .object({
      plugins: z.array(pluginRef).optional(),
      bootstrap: z
        .object({
          recovery: z
            .object({
              source: z.string().optional(),
              backup: z.object({ name: z.string() }).optional(),
              recoveryTarget: z
                .object({
                  backupID: z.string().optional(),
                  targetTime: z.string().optional(),
                  targetImmediate: z.boolean().optional(),
                })
                .optional(),
            })
            .optional(),
        })
        .optional(),
      externalClusters: z.array(z.object({ name: z.string(), plugin: pluginRef.optional() })).optional(),
      backup: z.object({ volumeSnapshot: z.object({ className: z.string().optional() }).optional() }).optional(),
    })
    .optional(),
});

export const objectStoreShape = z.object({
  metadata,
  spec: z
    .object({
      retentionPolicy: z.string().optional(),
      configuration: z
        .object({
          destinationPath: z.string().optional(),
          data: z.object({ encryption: z.string().optional() }).optional(),
          wal: z.object({ encryption: z.string().optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
});

export const clusterRefShape = z.object({
  metadata,
  spec: z.object({ cluster: z.object({ name: z.string() }).optional(), method: z.string().optional() }).optional(),
});

/** The release record's ConfigMap: only the record key is read, since its evidence keys are unknown at preview. */
export const configMapShape = z.object({
  metadata,
  data: z.object({ [RELEASE_RECORD_KEY]: z.string().optional() }).optional(),
});

export const commandShape = z.object({
  create: z.string().optional(),
  environment: z.record(z.string(), z.string()).optional(),
});

export const helmReleaseShape = z.object({
  name: z.string().optional(),
  chart: z.string().optional(),
  version: z.string().optional(),
  values: z.record(z.string(), z.unknown()).optional(),
});

/** Parses props with a shape, or returns undefined when they do not fit (policies then report it). */
export function view<T extends z.ZodType>(shape: T, props: unknown): z.infer<T> | undefined {
  const parsed = shape.safeParse(props);
  return parsed.success ? parsed.data : undefined;
}

/** Pod specs inside the workload kinds policies look at, by Pulumi type token. */
export function podSpecOf(type: string, props: unknown): PodSpec | undefined {
  let spec: unknown;
  if (type === "kubernetes:core/v1:Pod") spec = valueAt(props, ["spec"]);
  else if (type === "kubernetes:batch/v1:CronJob")
    spec = valueAt(props, ["spec", "jobTemplate", "spec", "template", "spec"]);
  else if (/^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:Job)$/.test(type))
    spec = valueAt(props, ["spec", "template", "spec"]);
  else return undefined;
  return view(podSpecShape, spec ?? {});
}

const labelMap = z.record(z.string(), z.string());
/** Labels of a workload and its pod template, merged (template wins). */
export function labelsOf(props: unknown): Record<string, string> {
  return {
    ...view(labelMap, valueAt(props, ["metadata", "labels"])),
    ...view(labelMap, valueAt(props, ["spec", "template", "metadata", "labels"])),
  };
}

const networkRule = z.object({}).passthrough();
export const networkPolicyShape = z.object({
  metadata,
  spec: z
    .object({
      podSelector: z.object({ matchLabels: labels }).optional(),
      policyTypes: z.array(z.string()).optional(),
      ingress: z.array(networkRule).optional(),
      egress: z.array(networkRule).optional(),
    })
    .optional(),
});
