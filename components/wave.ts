import * as pulumi from "@pulumi/pulumi";
import type { WaveId } from "../lib/waves";

export interface WaveArgs {
  title: string;
  /** Declares the wave's components with the wave as their parent; runs inside the constructor. */
  build: (wave: Wave) => void;
}

/**
 * One step of the upgrade order. A wave's `dependsOn` lists the earlier waves; since depending on a
 * component means depending on everything inside it, nothing in this wave starts before they are complete.
 * Children are declared inside the constructor so the wave is complete the moment it is constructed.
 */
export class Wave extends pulumi.ComponentResource {
  readonly id: WaveId;

  constructor(id: WaveId, args: WaveArgs, opts?: pulumi.ComponentResourceOptions) {
    // Prefixed so a wave's logical name never collides with a resource inside it (wave-api vs Deployment api).
    super("lockstep:platform:Wave", waveResourceName(id), {}, opts);
    this.id = id;
    args.build(this);
    this.registerOutputs({ title: args.title });
  }
}

export function waveResourceName(id: WaveId): string {
  return `wave-${id}`;
}
