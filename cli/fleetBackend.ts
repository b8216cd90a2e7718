/**
 * The fleet's inventory and engine: the Pulumi backend through the Automation API. No database of our
 * own: stacks, their tags, outputs and update history are the fleet. Tests pass a fake of this interface.
 */
import type * as automation from "@pulumi/pulumi/automation";
import type { LastUpdate } from "../lib/fleet/fleet";
import { LockstepInputError } from "../lib/core/errors";
import type { PlannedStep } from "../lib/state/drift";

export interface FleetStackSummary {
  name: string;
  tags: Record<string, string>;
  lastUpdate: LastUpdate | null;
}

export interface EngineRunOptions {
  /** Policy pack directory and its per-stack config file. */
  policyPack: string;
  policyPackConfig: string;
  /** Every line the engine prints. */
  onOutput(line: string): void;
  /** Refresh the state from the cluster first (`--refresh`). @default false */
  refresh?: boolean;
  /**
   * Take over fields another field manager (kubectl edit, scale, set image) owns, instead of failing on
   * the server-side apply conflict: the stack wins. @default false
   */
  forceConflicts?: boolean;
}

export interface StepsOptions {
  /** Refresh the state from the cluster first, so the steps include what changed there. */
  refresh: boolean;
  /** Preview as an up that takes over fields other managers own would apply (see EngineRunOptions). @default false */
  forceConflicts?: boolean;
  /** Every line the engine prints. */
  onOutput(line: string): void;
}

export interface FleetBackend {
  /** Every stack of the project, with its tags and last update. */
  listStacks(): Promise<FleetStackSummary[]>;
  /** A stack's last outputs (plain values). */
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** `pulumi preview` with the policy pack; rejects on an error or a mandatory violation. */
  preview(stack: string, options: EngineRunOptions): Promise<void>;
  /** `pulumi up` with the policy pack; rejects when the update fails. */
  up(stack: string, options: EngineRunOptions): Promise<void>;
  /** The steps `pulumi preview` plans (no policy pack: it changes nothing); rejects on an error. */
  plannedSteps(stack: string, options: StepsOptions): Promise<PlannedStep[]>;
}

/**
 * The engine a command drives, or a refusal naming the command and what it needed the CLI for, when no
 * Pulumi CLI is installed (exit 2).
 */
export function requireEngine(fleet: FleetBackend | null, command: string, needs: string): FleetBackend {
  if (!fleet)
    throw new LockstepInputError(
      `lockstep ${command} ${needs} with the Pulumi CLI, and none is installed; install it and log in to the stack's backend`,
    );
  return fleet;
}

/** What a failed engine run said (`engineFailure`'s one line), or undefined when it succeeded. */
export function failureOf(run: Promise<void>): Promise<string | undefined> {
  return run.then(
    () => undefined,
    (err: unknown) => (err as Error).message,
  );
}

/** The policy pack, and every line the engine prints on either stream into the install's log. */
function engineOptions(options: EngineRunOptions) {
  return {
    policyPacks: [options.policyPack],
    policyPackConfigs: [options.policyPackConfig],
    refresh: options.refresh ?? false,
    ...printing(options.onOutput),
  };
}

function printing(onOutput: (line: string) => void) {
  const lines = (out: string) => out.split("\n").filter(Boolean).forEach(onOutput);
  return { onOutput: lines, onError: lines };
}

/** A preview's step, from its engine event: the paths it changes, the state's object and the program's. */
function plannedStep(event: automation.EngineEvent): PlannedStep | undefined {
  const step = event.resourcePreEvent?.metadata;
  if (!step) return undefined;
  return {
    urn: step.urn,
    type: step.type,
    op: step.op,
    paths: step.detailedDiff ? Object.keys(step.detailedDiff) : (step.diffs ?? []),
    old: step.old?.outputs,
    declared: step.new?.inputs,
  };
}

function lastUpdateOf(history: automation.UpdateSummary[]): LastUpdate | null {
  const last = history[0];
  if (!last) return null;
  const at = last.endTime ?? last.startTime;
  return { result: last.result, at: at ? new Date(at).toISOString() : null };
}

/**
 * What a failed `pulumi preview`/`up` said, in one line: the Automation API's error carries the whole run
 * ("code: -2", then stdout and stderr), and its first line names nothing. Keeps the error and policy lines.
 */
export function engineFailure(what: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  // The CLI's own exit code; "code: -2" is only the wrapper's.
  const exit = (/exit code:? (-?\d+)/.exec(message) ?? /code: (-?\d+)/.exec(message))?.[1];
  const lines = message
    .split("\n")
    .map((l) => l.trim().replace(/^(stdout|stderr|err\?):\s*/, ""))
    .filter(Boolean);
  const telling = [
    ...new Set(
      lines.filter(
        (l) =>
          (/\berror\b|mandatory|violation/i.test(l) || /Error: /.test(l)) && !/Command failed with exit code/.test(l),
      ),
    ),
  ];
  const summary = (telling.length ? telling.slice(-3) : lines.slice(-1)).join(" | ").slice(0, 600);
  return new Error(`${what} failed${exit ? ` (exit ${exit})` : ""}: ${summary}`);
}

/** The two entries of the Automation API the backend uses. */
export type WorkspaceApi = Pick<typeof automation.LocalWorkspace, "create" | "selectStack">;

// Loaded on first use, not when the CLI starts: the Automation API drives the installed CLI.
const localWorkspace = (): WorkspaceApi => (require("@pulumi/pulumi/automation") as typeof automation).LocalWorkspace;

/**
 * The real backend: the Pulumi CLI the machine has, in the project directory, with its login.
 * @param api the Automation API's LocalWorkspace; @default the installed `@pulumi/pulumi/automation`
 */
export function automationFleetBackend(projectDir: string, api: () => WorkspaceApi = localWorkspace): FleetBackend {
  let created: Promise<automation.LocalWorkspace> | undefined;
  const workspace = () => (created ??= api().create({ workDir: projectDir }));
  // The provider reads this for every object it applies: a hand edit's field manager no longer blocks it.
  const forcing = (force?: boolean): Record<string, string> => (force ? { PULUMI_K8S_ENABLE_PATCH_FORCE: "true" } : {});
  const select = (stack: string, envVars: Record<string, string> = {}) =>
    api().selectStack({ stackName: stack, workDir: projectDir }, { envVars });
  const plain = (outputs: automation.OutputMap) =>
    Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
  return {
    async listStacks() {
      const ws = await workspace();
      const stacks = await ws.listStacks();
      return Promise.all(
        stacks.map(async (s) => ({
          name: s.name,
          tags: await ws.listTags(s.name),
          lastUpdate: lastUpdateOf(await (await select(s.name)).history(1)),
        })),
      );
    },
    async outputs(stack) {
      return plain(await (await workspace()).stackOutputs(stack));
    },
    async preview(stack, options) {
      const selected = await select(stack);
      await selected.preview(engineOptions(options)).catch((err: unknown) => {
        throw engineFailure(`pulumi preview of ${stack}`, err);
      });
    },
    async up(stack, options) {
      const selected = await select(stack, forcing(options.forceConflicts));
      await selected.up(engineOptions(options)).catch((err: unknown) => {
        throw engineFailure(`pulumi up of ${stack}`, err);
      });
    },
    async plannedSteps(stack, options) {
      const selected = await select(stack, forcing(options.forceConflicts));
      const steps: PlannedStep[] = [];
      const onEvent = (event: automation.EngineEvent) => {
        const step = plannedStep(event);
        if (step) steps.push(step);
      };
      await selected
        .preview({ refresh: options.refresh, onEvent, ...printing(options.onOutput) })
        .catch((err: unknown) => {
          throw engineFailure(`pulumi preview${options.refresh ? " --refresh" : ""} of ${stack}`, err);
        });
      return steps;
    },
  };
}
