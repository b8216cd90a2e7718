import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LABELS, PART_OF } from "../lib/core/names";
import { NetworkContext, networkPolicies, networkPolicyObject } from "../lib/security/network";

export type NetworkIsolationArgs = NetworkContext;

/**
 * Network isolation of the platform namespace: a default deny for ingress and egress, then one
 * NetworkPolicy per real flow (lib/security/network.ts lists them with their ports), so a new component gets no
 * traffic until its flows are written down.
 */
export class NetworkIsolation extends pulumi.ComponentResource {
  readonly policies: k8s.networking.v1.NetworkPolicy[];

  constructor(name: string, args: NetworkIsolationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:network:NetworkIsolation", name, {}, opts);
    this.policies = networkPolicies(args).map((spec) => {
      const object = networkPolicyObject(spec, args, { [LABELS.partOf]: PART_OF });
      return new k8s.networking.v1.NetworkPolicy(
        `netpol-${spec.name}`,
        { metadata: object.metadata, spec: object.spec },
        { parent: this },
      );
    });
    this.registerOutputs({ policies: this.policies.map((p) => p.metadata.name) });
  }
}
