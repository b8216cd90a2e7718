/**
 * What the lockstep commands touch outside their inputs, behind one interface so tests can fake it:
 * the Pulumi CLI through the Automation API, kubectl, and the clock.
 */
import type * as automation from "@pulumi/pulumi/automation";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PROJECT_ROOT } from "../lib/core/paths";
import type { SmokeIo } from "../lib/smoke/run";
import { automationFleetBackend, FleetBackend } from "./fleetBackend";

export interface CommandOutput {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  projectDir: string;
  catalogDir: string;
  now(): Date;
  /** Reads a stack's outputs through the Automation API; null when no Pulumi CLI is installed. */
  stackOutputs: ((stack: string) => Promise<Record<string, unknown>>) | null;
  kubectl(args: string[]): CommandOutput;
  /** The fleet's stacks and engine through the Automation API; null when no Pulumi CLI is installed. */
  fleet: FleetBackend | null;
  /** Progress of long commands (fleet upgrade), one line at a time, to stderr. */
  progress(line: string): void;
  /** HTTP, the environment and the clock, as the smoke checks use them. */
  smokeIo: SmokeIo;
}

function pulumiInstalled(): boolean {
  const r = spawnSync("pulumi", ["version"], { encoding: "utf8", timeout: 10_000 });
  return r.status === 0;
}

export function defaultEnv(projectDir = PROJECT_ROOT): CliEnv {
  const installed = pulumiInstalled();
  return {
    projectDir,
    catalogDir: path.join(projectDir, "releases"),
    now: () => new Date(),
    stackOutputs: installed
      ? async (stack) => {
          // Loaded only when a CLI exists: the Automation API drives it.
          const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof automation;
          const selected = await LocalWorkspace.selectStack({ stackName: stack, workDir: projectDir });
          const outputs = await selected.outputs();
          return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
        }
      : null,
    kubectl: (args) => {
      const r = spawnSync("kubectl", args, { encoding: "utf8", timeout: 15_000 });
      return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error.message) : "") };
    },
    fleet: installed ? automationFleetBackend(projectDir) : null,
    progress: (line) => process.stderr.write(`${line}\n`),
    smokeIo: {
      fetch,
      env: process.env,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: () => Date.now(),
    },
  };
}

/** What every command returns; the dispatcher prints `human` or `json` and exits with `exitCode`. */
export interface CommandResult {
  exitCode: number;
  human: string;
  json: Record<string, unknown>;
}
