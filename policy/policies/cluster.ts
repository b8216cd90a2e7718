/** Cluster policies: the Kubernetes baseline of the release, and restricted Pod Security for every Pod template. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { valueAt } from "../../lib/core/objects";
import { CHART_SECURITY } from "../../lib/security/podSecurity";
import { looksLikePlaintextSecret } from "../../lib/security/secrets";
import { kubernetesVerdict } from "../../lib/release/semverRules";
import { catalog, CHART_OF_RELEASE, releaseRecord, TYPES } from "./context";
import { helmReleaseShape, podSpecOf, securityContextShape, view } from "./shapes";

export const kubernetesBaseline: StackValidationPolicy = {
  name: "kubernetes-baseline",
  description:
    "Checks whether the target cluster's Kubernetes version (lockstep:kubernetesVersion) is inside the release's supported range.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const found = releaseRecord(args.resources);
    if (!found) return;
    if ("error" in found) {
      reportViolation(found.error, found.resource?.urn);
      return;
    }
    const { record, resource } = found;
    const release = catalog().releases.get(record.release);
    if (!release) return;
    const verdict = kubernetesVerdict(record.kubernetesVersion, release);
    if (!verdict.ok) reportViolation(verdict.reason, resource.urn);
  },
};

/** What a chart's values set at one security-context path, checked against the restricted profile. */
function chartContextProblems(values: unknown, path: readonly string[], kind: "pod" | "container"): string[] {
  const context = view(securityContextShape, valueAt(values, path)) ?? {};
  const at = `values.${path.join(".")}`;
  const problems: string[] = [];
  if (context.runAsNonRoot !== true) problems.push(`${at} must set runAsNonRoot: true`);
  if (kind === "pod" && context.seccompProfile?.type !== "RuntimeDefault")
    problems.push(`${at} must set seccompProfile RuntimeDefault`);
  if (kind === "container") {
    if (context.allowPrivilegeEscalation !== false) problems.push(`${at} must set allowPrivilegeEscalation: false`);
    if (!(context.capabilities?.drop ?? []).includes("ALL")) problems.push(`${at} must drop ALL capabilities`);
    if (context.readOnlyRootFilesystem !== true) problems.push(`${at} must set readOnlyRootFilesystem: true`);
    if (context.privileged === true) problems.push(`${at} must not be privileged`);
  }
  return problems;
}

export const podSecurity: ResourceValidationPolicy = {
  name: "pod-security",
  description:
    "Checks whether every Pod template, and the security contexts the program passes to each chart, follow the restricted Pod Security profile with a read-only root filesystem, requests and limits, no service-account token, and no env value that looks like a plaintext secret.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type === TYPES.helmRelease) {
      const release = view(helmReleaseShape, args.props);
      const chart = release?.name ? CHART_OF_RELEASE.get(release.name) : undefined;
      if (!chart) return;
      for (const path of CHART_SECURITY[chart].pod)
        for (const p of chartContextProblems(release?.values, path, "pod"))
          reportViolation(`chart release ${release?.name}: ${p}`);
      for (const path of CHART_SECURITY[chart].container)
        for (const p of chartContextProblems(release?.values, path, "container"))
          reportViolation(`chart release ${release?.name}: ${p}`);
      return;
    }
    const pod = podSpecOf(args.type, args.props);
    if (!pod) return;
    const podCtx = pod.securityContext ?? {};
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC)
      reportViolation("pod must not use the host network, PID or IPC namespaces");
    for (const v of pod.volumes ?? []) if (v.hostPath) reportViolation(`volume ${v.name} must not be a hostPath`);
    if (pod.automountServiceAccountToken !== false) reportViolation("pod must set automountServiceAccountToken: false");
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const ctx = c.securityContext ?? {};
      const where = `container ${c.name}`;
      if ((ctx.runAsNonRoot ?? podCtx.runAsNonRoot) !== true)
        reportViolation(`${where} must run as non-root (runAsNonRoot: true)`);
      if (ctx.allowPrivilegeEscalation !== false) reportViolation(`${where} must set allowPrivilegeEscalation: false`);
      if (ctx.privileged === true) reportViolation(`${where} must not be privileged`);
      if (!(ctx.capabilities?.drop ?? []).includes("ALL")) reportViolation(`${where} must drop ALL capabilities`);
      if ((ctx.capabilities?.add ?? []).some((cap) => cap !== "NET_BIND_SERVICE"))
        reportViolation(`${where} must not add capabilities other than NET_BIND_SERVICE`);
      const seccomp = (ctx.seccompProfile ?? podCtx.seccompProfile)?.type;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
        reportViolation(
          `${where} must use seccomp profile RuntimeDefault (or Localhost), not ${JSON.stringify(seccomp ?? "unset")}`,
        );
      if (ctx.readOnlyRootFilesystem !== true) reportViolation(`${where} must have a read-only root filesystem`);
      const { requests, limits } = c.resources ?? {};
      if (!requests?.cpu || !requests?.memory || !limits?.cpu || !limits?.memory)
        reportViolation(`${where} must set cpu and memory requests and limits`);
      for (const env of c.env ?? []) {
        if (env.value !== undefined && looksLikePlaintextSecret(env.name, env.value)) {
          reportViolation(`${where} env ${env.name} looks like a plaintext secret and must come from a secretKeyRef`);
        }
      }
    }
  },
};
