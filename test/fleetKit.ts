/**
 * A fake of the fleet backend (the Automation API as the fleet uses it): stacks with tags, outputs and a
 * last update, and preview/up that act on the install's stack file as the engine would. It checks the
 * arguments it is given (the policy pack and its config) and records every call.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineRunOptions, FleetBackend, FleetStackSummary, StepsOptions } from "../cli/fleetBackend";
import type { PlannedStep } from "../lib/state/drift";
import { Catalog, getRelease, setDigest } from "../lib/release/catalog";
import { FLEET_TAGS } from "../lib/fleet/fleet";
import { editStackConfig, readStackValues, stackFilePath } from "../lib/config/stackFile";

export interface FakeInstall {
  stack: string;
  ring?: string;
  version: string | null;
  kubernetesVersion?: string;
  region?: string;
  customer?: string;
}

/** What a completed `up` at `version` leaves in the outputs. */
export function outputsAt(catalog: Catalog, version: string, stack: string): Record<string, unknown> {
  return {
    release: { version, setDigest: setDigest(getRelease(catalog, version)) },
    workloads: Object.fromEntries(
      ["api", "gateway", "console-blue", "console-green", "worker-export", "worker-lifecycle", "worker-config"].map(
        (w) => [w, version],
      ),
    ),
    verification: {
      status: "passed",
      version,
      setDigest: setDigest(getRelease(catalog, version)),
      verifiedAt: "2026-11-21T10:00:00Z",
      stack,
    },
  };
}

export class FakeFleet implements FleetBackend {
  readonly calls: string[] = [];
  readonly stacks = new Map<string, FleetStackSummary & { outputs: Record<string, unknown> }>();
  /** Stacks whose preview or up throws, with the engine's message. */
  readonly failPreview = new Map<string, string>();
  readonly failUp = new Map<string, string>();
  /** Stacks whose up succeeds but whose smoke test then reports failed in the outputs. */
  readonly failSmoke = new Set<string>();
  /**
   * What a stack's previews plan: `pending` (the stack file's own change) in both, `drifted` (the
   * cluster's change) only after a refresh. A refreshing up clears `drifted` unless the stack is in
   * `driftComesBack` (a controller that edits it again).
   */
  readonly planned = new Map<string, { pending: PlannedStep[]; drifted: PlannedStep[] }>();
  readonly driftComesBack = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly catalog: Catalog,
  ) {}

  /** Adds an install: a stack file copied from staging at its version, tags, and outputs when it deployed. */
  add(install: FakeInstall): this {
    const file = stackFilePath(install.stack, this.dir);
    const template = fs.readFileSync(stackFilePath("staging", this.dir), "utf8");
    const version = install.version ?? "1.5.0";
    fs.writeFileSync(
      file,
      editStackConfig(file, template, {
        release: version,
        console: { blue: version, green: version, live: "blue" },
        kubernetesVersion: install.kubernetesVersion ?? "1.31",
      }),
    );
    const tags: Record<string, string> = {};
    if (install.ring) tags[FLEET_TAGS.ring] = install.ring;
    if (install.region) tags[FLEET_TAGS.region] = install.region;
    if (install.customer) tags[FLEET_TAGS.customer] = install.customer;
    this.stacks.set(install.stack, {
      name: install.stack,
      tags,
      lastUpdate: install.version ? { result: "succeeded", at: "2026-11-20T08:00:00.000Z" } : null,
      outputs: install.version ? outputsAt(this.catalog, install.version, install.stack) : {},
    });
    return this;
  }

  private get(stack: string) {
    const found = this.stacks.get(stack);
    if (!found) throw new Error(`fake Automation API: no stack named ${stack}`);
    return found;
  }

  private checkEngineArgs(stack: string, options: EngineRunOptions) {
    if (path.basename(options.policyPack) !== "policy" || !fs.existsSync(options.policyPackConfig)) {
      throw new Error(
        `fake Automation API: ${stack} was not given the policy pack and an existing config (${options.policyPack}, ${options.policyPackConfig})`,
      );
    }
  }

  async listStacks() {
    this.calls.push("listStacks");
    return [...this.stacks.values()].map(({ name, tags, lastUpdate }) => ({ name, tags: { ...tags }, lastUpdate }));
  }

  async outputs(stack: string) {
    return structuredClone(this.get(stack).outputs);
  }

  async preview(stack: string, options: EngineRunOptions) {
    this.calls.push(`preview ${stack}`);
    this.get(stack);
    this.checkEngineArgs(stack, options);
    options.onOutput(`Previewing update (${stack})`);
    const failure = this.failPreview.get(stack);
    if (failure) throw new Error(failure);
  }

  async up(stack: string, options: EngineRunOptions) {
    this.calls.push(`up${options.refresh ? " --refresh" : ""}${options.forceConflicts ? " (force)" : ""} ${stack}`);
    const entry = this.get(stack);
    this.checkEngineArgs(stack, options);
    options.onOutput(`Updating (${stack})`);
    const failure = this.failUp.get(stack);
    if (failure) {
      entry.lastUpdate = { result: "failed", at: "2026-11-22T12:00:00.000Z" };
      throw new Error(failure);
    }
    if (options.refresh && !this.driftComesBack.has(stack)) {
      const planned = this.planned.get(stack);
      if (planned) planned.drifted = [];
    }
    const release = readStackValues(stack, this.dir).release as string;
    entry.outputs = outputsAt(this.catalog, release, stack);
    if (this.failSmoke.has(stack)) (entry.outputs.verification as { status: string }).status = "failed";
    entry.lastUpdate = { result: "succeeded", at: "2026-11-22T12:00:00.000Z" };
  }

  async plannedSteps(stack: string, options: StepsOptions) {
    this.calls.push(
      `preview${options.refresh ? " --refresh" : ""}${options.forceConflicts ? " (force)" : ""} ${stack}`,
    );
    this.get(stack);
    options.onOutput(`Previewing update (${stack})`);
    const planned = this.planned.get(stack) ?? { pending: [], drifted: [] };
    // As the engine plans it: one step per resource, with the paths of both changes.
    const steps = new Map(planned.pending.map((s) => [s.urn, structuredClone(s)]));
    for (const s of options.refresh ? planned.drifted : []) {
      const both = steps.get(s.urn);
      steps.set(s.urn, both ? { ...both, paths: [...new Set([...both.paths, ...s.paths])] } : structuredClone(s));
    }
    return [...steps.values()];
  }
}
