import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ReleaseRecordData } from "../lib/state/record";
import { LABELS, PART_OF, RELEASE_RECORD_KEY, RELEASE_RECORD_NAME } from "../lib/core/names";

export interface ReleaseRecordArgs {
  namespace: string;
  /** Known at preview: the policy pack reads it. */
  record: ReleaseRecordData;
  /** What the deployment proved, known only once it ran (backup ids, drill results), each under its own key. @default {} */
  evidence?: Record<string, pulumi.Input<object>>;
}

/**
 * A ConfigMap in the platform namespace recording the deployed set: version, set digest, the open window,
 * console colors and the promotion record. Operators read it with kubectl; the policy pack reads it at
 * preview to see the stack's intent beside the resources.
 */
export class ReleaseRecord extends pulumi.ComponentResource {
  readonly configMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: ReleaseRecordArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lockstep:release:ReleaseRecord", name, {}, opts);
    this.configMap = new k8s.core.v1.ConfigMap(
      RELEASE_RECORD_NAME,
      {
        metadata: {
          name: RELEASE_RECORD_NAME,
          namespace: args.namespace,
          labels: { [LABELS.partOf]: PART_OF, [LABELS.version]: args.record.release },
        },
        data: {
          [RELEASE_RECORD_KEY]: JSON.stringify(args.record, null, 2),
          // Separate keys, so the record stays readable at preview while these are still unknown.
          ...Object.fromEntries(
            Object.entries(args.evidence ?? {}).map(([key, value]) => [
              key,
              pulumi.output(value).apply((v: object) => JSON.stringify(v, null, 2)),
            ]),
          ),
        },
      },
      { parent: this },
    );
    this.registerOutputs({ name: this.configMap.metadata.name });
  }
}
