/**
 * Runs the real lockstep program in-process under Pulumi's mock monitor and records every registration
 * the way the engine would see it: type, logical name, parent, and the direct dependencies (explicit
 * `dependsOn` plus implicit ones through Outputs) carried on each RegisterResource request.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import * as settingsModule from "@pulumi/pulumi/runtime/settings";
import * as stateModule from "@pulumi/pulumi/runtime/state";
import debuggableModule = require("@pulumi/pulumi/runtime/debuggable");
import type { ProgramInputs } from "../lib/config/inputs";
import { PlatformOutputs } from "../components/platform";
import { definePlatform } from "../program";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parentUrn: string | null;
  dependencyUrns: string[];
  propertyDependencyUrns: Record<string, string[]>;
  props: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** How long the engine waits for each operation, as the program set them ("" where it did not); null when it set none. */
  customTimeouts: { create: string; update: string; delete: string } | null;
  /** Top-level props the program passed as secrets (their values are unwrapped in `props`). */
  secretProps: string[];
  /** What a component registered with `registerOutputs`; a value known only once deployed is the SDK's unknown marker. */
  outputs?: Record<string, unknown>;
}

/** Resource type prefixes the program may register; anything else is a bug the mocks must not hide. */
const KNOWN_TYPES =
  /^(kubernetes:|command:|lockstep:|pulumi:pulumi:(Stack|StackReference)$|pulumi:providers:(kubernetes|command)$)/;

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getObject(): unknown;
}

// The mock wiring below uses SDK internals that `setMocks` itself uses but the typings mark internal.
const settings = settingsModule as unknown as {
  setMockOptions(monitor: unknown, project: string, stack: string, preview: boolean, organization: string): void;
  waitForRPCs(): Promise<void>;
};
const state = stateModule as unknown as { getStore(): Record<string, boolean> };
/**
 * The SDK stamps `new Error().stack` on every promise it creates, for the promise-leak report it prints at
 * exit. A plan creates thousands; the stamps were more than half of a plan's time (about 1.3 s of 2 s per
 * run, measured with --cpu-prof), and an in-process plan never prints that report. Skipped while a plan's
 * program runs; the SDK calls it through its module's exports, so the swap reaches every caller.
 */
const debuggable = debuggableModule as unknown as { debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> };
const unstamped = <T>(p: Promise<T>): Promise<T> => p;
/**
 * Each resource also parses a whole `new Error().stack` (limit lifted to infinity, source-mapped under tsx)
 * for the source position it sends the engine, which the recording monitor never reads: about 55 ms of a
 * program run (--cpu-prof, 2026-11-23). Skipped while a plan's program runs, like the stamps.
 */
const resourceClass = pulumi.Resource as unknown as { stackTrace: (skip: number) => unknown[] };
const noStackTrace = (): unknown[] => [];

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Props as policies see them under the real analyzer: secrets unwrapped to their values. The plan never
 * holds a decrypted secret (encrypted stack values are the "[secret]" placeholder), so nothing leaks.
 */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SECRET_SIG] === SECRET_VALUE) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

function timeoutsOf(req: RegisterRequest): RecordedResource["customTimeouts"] {
  const timeouts = req.getCustomtimeouts();
  return timeouts ? { create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() } : null;
}

class RecordingMonitor extends MockMonitor {
  readonly registrations: RecordedResource[] = [];

  override async registerResource(
    req: RegisterRequest,
    callback: (err: unknown, resp: unknown) => void,
  ): Promise<void> {
    const propertyDependencyUrns: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((value, key) => {
      propertyDependencyUrns[key] = value.getUrnsList();
    });
    const recorded: RecordedResource = {
      urn: "", // the monitor assigns it, below
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parentUrn: req.getParent() || null,
      dependencyUrns: req.getDependenciesList(),
      propertyDependencyUrns,
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      customTimeouts: timeoutsOf(req),
      props: {},
      secretProps: [],
    };
    if (req.getCustom()) {
      const raw = deserializeProperties(req.getObject() as Parameters<typeof deserializeProperties>[0]) as Record<
        string,
        unknown
      >;
      recorded.props = unwrapSecrets(raw) as Record<string, unknown>;
      recorded.secretProps = Object.keys(raw).filter(
        (k) => (raw[k] as Record<string, unknown> | undefined)?.[SECRET_SIG] === SECRET_VALUE,
      );
    }
    this.registrations.push(recorded);
    return super.registerResource(req, ((err: unknown, resp: { getUrn(): string } | undefined) => {
      if (resp) recorded.urn = resp.getUrn();
      callback(err, resp);
    }) as never);
  }

  override registerResourceOutputs(
    req: { getUrn(): string; getOutputs(): unknown },
    callback: (err: unknown, resp: unknown) => void,
  ): void {
    const recorded = this.registrations.find((r) => r.urn === req.getUrn());
    if (recorded)
      recorded.outputs = unwrapSecrets(
        deserializeProperties(req.getOutputs() as Parameters<typeof deserializeProperties>[0]),
      ) as Record<string, unknown>;
    super.registerResourceOutputs(req, callback as never);
  }
}

/**
 * The outputs a plan holds: the plain ones. The restore point, the last drill and the verification are
 * Outputs the engine resolves from what runs; under the mock monitor they carry nothing a plan shows.
 */
export type PlannedOutputs = Omit<PlatformOutputs, "restorePoint" | "restoreDrill" | "verification">;

export interface ProgramRun {
  outputs: PlannedOutputs;
  resources: RecordedResource[];
}

/** Runs the program for validated inputs somewhere other than this thread (see runProgramsWith). */
export type ProgramRunner = (
  stack: string,
  inputs: ProgramInputs,
  config: Record<string, string>,
  secretKeys: readonly string[],
) => Promise<ProgramRun>;
let runner: ProgramRunner | undefined;

/**
 * Hands each program run with validated inputs to `next` (undefined: this thread again), and returns the
 * runner it replaces. For test processes: node:test tracks every promise its process creates with an
 * async hook, and a program run creates thousands, so one costs about 2.7 times as much under the test
 * runner as outside it (measured 2026-11-23); `npm test` runs them in a worker thread, which the hook does
 * not reach (test/planPreload.ts). A run with config the program parses itself stays in this thread.
 */
export function runProgramsWith(next: ProgramRunner | undefined): ProgramRunner | undefined {
  const was = runner;
  runner = next;
  return was;
}

/** Records inputs as the mock state; refuses resource types and invokes the program is not expected to use. */
export const planMocks: pulumi.runtime.Mocks = {
  newResource(args) {
    if (!KNOWN_TYPES.test(args.type)) throw new Error(`unmocked resource type ${args.type} (${args.name})`);
    return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
  },
  call(args) {
    throw new Error(`unmocked call ${args.token}: the program must not invoke providers during a plan`);
  },
};

/** Program runs by everything they depend on, while memoizeProgramRuns is on. */
let memo: Map<string, { run: ProgramRun; text: string }> | undefined;

/**
 * Keeps each program run made with validated inputs while `on`, and answers the same stack, config and
 * inputs with it again in this process. For test suites, which plan the same stack with the same config
 * dozens of times in one process (169 runs, 105 of them distinct, measured 2026-11-23); the CLI never
 * turns it on. A run is a function of exactly what the key holds: the program reads no file and no
 * environment. Returns whether it was on, for a caller that puts it back.
 */
export function memoizeProgramRuns(on: boolean): boolean {
  const was = memo !== undefined;
  memo = on ? (memo ?? new Map()) : undefined;
  return was;
}

const memoKey = (
  stack: string,
  inputs: ProgramInputs,
  config: Record<string, string>,
  secretKeys: readonly string[],
): string =>
  JSON.stringify([stack, config, secretKeys, inputs], (_key, value: unknown) =>
    value instanceof Map || value instanceof Set ? [...value] : value,
  );

/**
 * Runs the program for `stack` with its Pulumi config. With `inputs` the program skips its own parsing
 * (the plan validated already); without, it parses config itself exactly as under `pulumi up`.
 * Pulumi's runtime state is global, so runs are serialized by the caller (one at a time per process).
 * While memoizeProgramRuns is on, a repeated run is answered from the memo; a shared run a caller has
 * changed since is refused, naming the stack, rather than handed on.
 */
export async function runProgram(
  stack: string,
  inputs: ProgramInputs | undefined,
  config: Record<string, string>,
  secretKeys: readonly string[] = [],
): Promise<ProgramRun> {
  if (!inputs) return runProgramHere(stack, inputs, config, secretKeys);
  if (!memo) return (runner ?? runProgramHere)(stack, inputs, config, secretKeys);
  const key = memoKey(stack, inputs, config, secretKeys);
  const kept = memo.get(key);
  if (kept) {
    if (JSON.stringify(kept.run) !== kept.text) {
      memo.delete(key);
      throw new Error(
        `a caller changed a shared program run of stack ${stack} (memoizeProgramRuns): copy it with structuredClone before changing it`,
      );
    }
    return kept.run;
  }
  const run = await (runner ?? runProgramHere)(stack, inputs, config, secretKeys);
  memo.set(key, { run, text: JSON.stringify(run) });
  return run;
}

/** One program run in this thread, whatever runner is set: what a runner elsewhere calls. */
export async function runProgramHere(
  stack: string,
  inputs: ProgramInputs | undefined,
  config: Record<string, string>,
  secretKeys: readonly string[],
): Promise<ProgramRun> {
  const { result, resources } = await recordProgram(stack, config, secretKeys, () => definePlatform({ inputs }));
  const { restorePoint: _restorePoint, restoreDrill: _restoreDrill, verification: _verification, ...planned } = result;
  return { outputs: planned, resources };
}

/**
 * Runs `body` as a Pulumi program of stack `stack` under the recording monitor, and returns what it
 * returned with every registration. The program run uses it with the whole platform; tests use it to
 * declare one component alone. A throw from `body` is rethrown with the registrations made before it.
 */
export async function recordProgram<T>(
  stack: string,
  config: Record<string, string>,
  secretKeys: readonly string[],
  body: () => Promise<T> | T,
  /** What the engine answers; a test stands in for a stack's own last outputs here. @default planMocks */
  mocks: pulumi.runtime.Mocks = planMocks,
  /** A preview (`pulumi preview`) or an update (`pulumi up`). @default true */
  preview = true,
): Promise<{ result: T; resources: RecordedResource[] }> {
  const monitor = new RecordingMonitor(mocks);
  // The file backend's organization: what the program names its reference to itself with.
  settings.setMockOptions(monitor, "lockstep", stack, preview, "organization");
  const store = state.getStore();
  store.supportsSecrets = true;
  store.supportsResourceReferences = true;
  store.supportsOutputValues = false;
  store.supportsDeletedWith = true;
  store.supportsAliasSpecs = true;
  store.supportsTransforms = true;
  pulumi.runtime.setAllConfig(
    config,
    secretKeys.map((k) => `lockstep:${k}`),
  );

  let result: { value: T } | undefined;
  let failure: unknown;
  const stamped = debuggable.debuggablePromise;
  const stackTrace = resourceClass.stackTrace;
  debuggable.debuggablePromise = unstamped;
  resourceClass.stackTrace = noStackTrace;
  try {
    // The program's error is caught inside the stack callback (after the root Stack registered, before
    // anything else could) so the SDK's internal promises do not also reject unobserved.
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        result = { value: await body() };
      } catch (err) {
        failure = err;
      }
      return {};
    });
    await settings.waitForRPCs();
  } finally {
    debuggable.debuggablePromise = stamped;
    resourceClass.stackTrace = stackTrace;
  }
  if (!result) {
    const error = failure instanceof Error ? failure : new Error(`the program threw ${String(failure)}`);
    throw Object.assign(error, { registrations: monitor.registrations.map((r) => ({ type: r.type, name: r.name })) });
  }
  return { result: result.value, resources: monitor.registrations };
}
