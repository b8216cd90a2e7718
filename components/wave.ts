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

/** The wave every later one names directly: no migration, chart or operator change without the backups. */
const ALWAYS_NAMED: WaveId = "pre-upgrade-backup";

export function waveResourceName(id: WaveId): string {
  return `wave-${id}`;
}

/**
 * Declares the waves of a wave order one after another; each wave waits for every earlier one, and a
 * wave declared out of its order's sequence is an error.
 *
 * What a wave holds names the latest earlier wave that holds a resource (and any empty waves after it),
 * and the pre-upgrade backups: the named wave's resources already wait for everything before them, so
 * the engine's graph orders this wave after all earlier waves through them. Naming every earlier wave's
 * resources on every resource made the dependency lists half of the checkpoint, which the engine writes
 * whole before and after each change (817 KB then, 567 KB now, for the e2e platform).
 */
export class WaveSequence {
  private readonly declared: { wave: Wave; holdsResources: boolean }[] = [];

  constructor(
    private readonly parent: pulumi.Resource,
    private readonly order: readonly WaveSpec[],
  ) {}

  /** Declares wave `id` and its children; throws if the order does not hold it or it comes out of order. */
  run<T>(id: WaveId, build: (wave: Wave) => T): T {
    const index = this.order.findIndex((w) => w.id === id);
    if (index < 0) throw new Error(`wave ${id} is not in this wave order (${this.order.map((w) => w.id).join(", ")})`);
    const previous = this.declared.at(-1);
    if (previous && this.order.findIndex((w) => w.id === previous.wave.id) >= index) {
      throw new Error(`wave ${id} must be declared before wave ${previous.wave.id}`);
    }
    const earlier = this.wavesToName();
    let holdsResources = false;
    // The order must be in the engine's graph, not only on the Wave components: every resource declared
    // inside this wave depends on the waves named above (a component dependency covers all its children),
    // so `destroy`, `--target` and replacements see it too.
    const dependOnEarlierWaves: pulumi.ResourceTransformation = (args) => {
      // instanceof, not isInstance: the flag isInstance reads is set after the constructor that runs this.
      if (args.resource instanceof pulumi.CustomResource) holdsResources = true;
      return earlier.length
        ? { props: args.props, opts: pulumi.mergeOptions(args.opts, { dependsOn: earlier }) }
        : undefined;
    };
    const wave = new Wave(
      id,
      { title: this.order[index].title },
      { parent: this.parent, dependsOn: earlier, transformations: [dependOnEarlierWaves] },
    );
    const result = build(wave);
    this.declared.push({ wave, holdsResources });
    return result;
  }

  /**
   * The earlier waves a new wave names: from the latest that holds a resource on (all of them if none
   * does), and the pre-upgrade backups always, so every later registration carries them itself.
   */
  private wavesToName(): Wave[] {
    let from = this.declared.length - 1;
    while (from > 0 && !this.declared[from].holdsResources) from--;
    return this.declared.filter((d, i) => i >= from || d.wave.id === ALWAYS_NAMED).map((d) => d.wave);
  }
}
