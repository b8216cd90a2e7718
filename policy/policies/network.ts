/** Network policies: the platform namespace denies by default, and every workload's flows are written down. */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { deployments, readableRecord, selects, TYPES } from "./context";
import { networkPolicyShape, view } from "./shapes";

function policiesIn(resources: readonly PolicyResource[], namespace: string) {
  return resources
    .filter((r) => r.type === TYPES.networkPolicy)
    .flatMap((resource) => {
      const policy = view(networkPolicyShape, resource.props);
      return policy && policy.metadata?.namespace === namespace ? [{ resource, policy }] : [];
    });
}

export const networkIsolation: StackValidationPolicy = {
  name: "network-isolation",
  description:
    "Checks whether the platform namespace has a default-deny NetworkPolicy for ingress and egress, and whether every lockstep workload is selected by an allow-list of its own (a NetworkPolicy whose pod selector names it).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const found = readableRecord(args.resources);
    if (!found) return;
    const { record, resource } = found;
    const policies = policiesIn(args.resources, record.namespace);
    const denies = policies.filter(({ policy }) => {
      const spec = policy.spec;
      const everyPod = Object.keys(spec?.podSelector?.matchLabels ?? {}).length === 0;
      const types = spec?.policyTypes ?? [];
      return (
        everyPod &&
        types.includes("Ingress") &&
        types.includes("Egress") &&
        (spec?.ingress ?? []).length === 0 &&
        (spec?.egress ?? []).length === 0
      );
    });
    if (denies.length === 0) {
      reportViolation(
        `the platform namespace ${record.namespace} must have a default-deny NetworkPolicy (empty podSelector, policyTypes Ingress and Egress, no rules), so only the flows written down are allowed`,
        resource.urn,
      );
    }
    for (const w of deployments(args.resources).filter(
      (d) => d.component && d.deployment.metadata?.namespace === record.namespace,
    )) {
      const podLabels = w.deployment.spec?.template?.metadata?.labels ?? {};
      // An empty selector (the deny, allow-dns) selects no workload here: it is nobody's own allow-list.
      if (!policies.some(({ policy }) => selects(policy.spec?.podSelector?.matchLabels, podLabels))) {
        reportViolation(
          `Deployment ${w.name} must be selected by a NetworkPolicy allow-list of its own: under the default deny it gets no traffic until its flows are written down`,
          w.resource.urn,
        );
      }
    }
  },
};
