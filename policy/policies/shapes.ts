/**
 * Typed views of the Kubernetes objects the policies read. Policies receive untyped props from the
 * engine; these loose zod shapes narrow them once, and ignore fields no policy needs.
 */
import { z } from "zod";
import { valueAt } from "../../lib/objects";

const labels = z.record(z.string(), z.string()).optional();
const metadata = z.looseObject({ name: z.string().optional(), namespace: z.string().optional(), labels, annotations: labels }).optional();
const intOrString = z.union([z.number(), z.string()]);

const envVar = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z.looseObject({ secretKeyRef: z.looseObject({ name: z.string(), key: z.string() }).optional() }).optional(),
});
const httpProbe = z.looseObject({ httpGet: z.looseObject({ path: z.string().optional(), port: intOrString }).optional() });
const securityContext = z.looseObject({
  runAsNonRoot: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  privileged: z.boolean().optional(),
  capabilities: z.looseObject({ drop: z.array(z.string()).optional(), add: z.array(z.string()).optional() }).optional(),
  seccompProfile: z.looseObject({ type: z.string() }).optional(),
});
const resourceList = z.looseObject({ cpu: intOrString.optional(), memory: intOrString.optional() });
export const containerShape = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  env: z.array(envVar).optional(),
  readinessProbe: httpProbe.optional(),
  lifecycle: z.looseObject({
    preStop: z.looseObject({
      exec: z.looseObject({ command: z.array(z.string()) }).optional(),
      sleep: z.looseObject({ seconds: z.number() }).optional(),
    }).optional(),
  }).optional(),
  securityContext: securityContext.optional(),
  resources: z.looseObject({ requests: resourceList.optional(), limits: resourceList.optional() }).optional(),
});
export type Container = z.infer<typeof containerShape>;

export const podSpecShape = z.looseObject({
  containers: z.array(containerShape).default([]),
  initContainers: z.array(containerShape).optional(),
  securityContext: securityContext.optional(),
  terminationGracePeriodSeconds: z.number().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  volumes: z.array(z.looseObject({ name: z.string(), hostPath: z.unknown().optional() })).optional(),
  affinity: z.looseObject({ podAntiAffinity: z.unknown().optional() }).optional(),
  topologySpreadConstraints: z.array(z.unknown()).optional(),
});
export type PodSpec = z.infer<typeof podSpecShape>;

const template = z.looseObject({ metadata, spec: podSpecShape.optional() });

export const deploymentShape = z.looseObject({
  metadata,
  spec: z.looseObject({
    replicas: z.number().optional(),
    selector: z.looseObject({ matchLabels: labels }).optional(),
    strategy: z.looseObject({
      type: z.string().optional(),
      rollingUpdate: z.looseObject({ maxUnavailable: intOrString.optional(), maxSurge: intOrString.optional() }).optional(),
    }).optional(),
    template: template.optional(),
  }).optional(),
});
export type Deployment = z.infer<typeof deploymentShape>;

export const pdbShape = z.looseObject({
  metadata,
  spec: z.looseObject({ minAvailable: intOrString.optional(), maxUnavailable: intOrString.optional(), selector: z.looseObject({ matchLabels: labels }).optional() }).optional(),
});

export const serviceShape = z.looseObject({ metadata, spec: z.looseObject({ selector: labels }).optional() });

export const httpRouteShape = z.looseObject({
  metadata,
  spec: z.looseObject({
    rules: z.array(z.looseObject({ backendRefs: z.array(z.looseObject({ name: z.string(), weight: z.number().optional() })).optional() })).default([]),
  }).optional(),
});

export const cnpgClusterShape = z.looseObject({
  metadata,
  spec: z.looseObject({
    plugins: z.array(z.looseObject({
      name: z.string(),
      isWALArchiver: z.boolean().optional(),
      parameters: z.record(z.string(), z.string()).optional(),
    })).optional(),
  }).optional(),
});

export const objectStoreShape = z.looseObject({
  metadata,
  spec: z.looseObject({
    retentionPolicy: z.string().optional(),
    configuration: z.looseObject({ destinationPath: z.string().optional() }).optional(),
  }).optional(),
});

export const clusterRefShape = z.looseObject({ metadata, spec: z.looseObject({ cluster: z.looseObject({ name: z.string() }).optional() }).optional() });

export const configMapShape = z.looseObject({ metadata, data: z.record(z.string(), z.string()).optional() });

/** Parses props with a shape, or returns undefined when they do not fit (policies then report it). */
export function view<T extends z.ZodType>(shape: T, props: unknown): z.infer<T> | undefined {
  const parsed = shape.safeParse(props);
  return parsed.success ? parsed.data : undefined;
}

/** Pod specs inside the workload kinds policies look at, by Pulumi type token. */
export function podSpecOf(type: string, props: unknown): PodSpec | undefined {
  let spec: unknown;
  if (type === "kubernetes:core/v1:Pod") spec = valueAt(props, ["spec"]);
  else if (type === "kubernetes:batch/v1:CronJob") spec = valueAt(props, ["spec", "jobTemplate", "spec", "template", "spec"]);
  else if (/^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:Job)$/.test(type)) spec = valueAt(props, ["spec", "template", "spec"]);
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
