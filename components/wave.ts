import * as pulumi from "@pulumi/pulumi";
import type { WaveId, WaveSpec } from "../lib/rollout/waves";

export interface WaveArgs {
  /** What the wave does, as the plan prints it. */
  title: string;
}

/**
 * One step of the upgrade order. A wave's `dependsOn` lists the earlier waves; since depending on a
 * component means depending on everything inside it, nothing in this wave starts before they are complete.
 */
export class Wave extends pulumi.ComponentResource {
  readonly id: WaveId;

  constructor(id: WaveId, args: WaveArgs, opts?: pulumi.ComponentResourceOptions) {
    // Prefixed so a wave's logical name never collides with a resource inside it (wave-api vs Deployment api).
    super("lockstep:platform:Wave", waveResourceName(id), {}, opts);
    this.id = id;
    this.registerOutputs({ title: args.title });
  }
}

export function waveResourceName(id: WaveId): string {
  return `wave-${id}`;
}

/**
 * Declares the waves of a wave order one after another; each wave depends on every earlier one, and a
 * wave declared out of its order's sequence is an error.
 */
export class WaveSequence {
  private readonly declared: Wave[] = [];

  constructor(
    private readonly parent: pulumi.Resource,
    private readonly order: readonly WaveSpec[],
  ) {}

  /** Declares wave `id` and its children; throws if the order does not hold it or it comes out of order. */
  run<T>(id: WaveId, build: (wave: Wave) => T): T {
    const index = this.order.findIndex((w) => w.id === id);
    if (index < 0) throw new Error(`wave ${id} is not in this wave order (${this.order.map((w) => w.id).join(", ")})`);
    const previous = this.declared.at(-1);
    if (previous && this.order.findIndex((w) => w.id === previous.id) >= index) {
      throw new Error(`wave ${id} must be declared before wave ${previous.id}`);
    }
    const earlier = [...this.declared];
    // The order must be in the engine's graph, not only on the Wave components: every resource declared
    // inside this wave depends on the earlier waves (a component dependency covers all its children), so
    // `destroy`, `--target` and replacements see it too.
    const dependOnEarlierWaves: pulumi.ResourceTransformation = (args) => ({
      props: args.props,
      opts: pulumi.mergeOptions(args.opts, { dependsOn: earlier }),
    });
    const wave = new Wave(
      id,
      { title: this.order[index].title },
      { parent: this.parent, dependsOn: earlier, transformations: earlier.length ? [dependOnEarlierWaves] : [] },
    );
    const result = build(wave);
    this.declared.push(wave);
    return result;
  }
}
