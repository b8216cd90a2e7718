/** CLI test helpers: a throwaway copy of the project, fakes of the Automation API and kubectl, and a runner. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CliEnv, CommandOutput } from "../cli/env";
import type { FleetBackend } from "../cli/fleetBackend";
import { main } from "../cli/lockstep";
import { PROJECT } from "./helpers";

/** A throwaway project: stack files, catalog and policy config copied from the real one. */
export function tempProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-flow-"));
  for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"])
    fs.copyFileSync(path.join(PROJECT, f), path.join(dir, f));
  fs.cpSync(path.join(PROJECT, "releases"), path.join(dir, "releases"), { recursive: true });
  fs.cpSync(path.join(PROJECT, "policy", "config"), path.join(dir, "policy", "config"), { recursive: true });
  return dir;
}

export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

/** Smoke I/O for tests that must reach nothing: every request fails at once. */
export const OFFLINE_SMOKE_IO: CliEnv["smokeIo"] = {
  fetch: () => Promise.reject(new Error("no network in this test")),
  env: {},
  sleep: async () => {},
  now: () => 0,
};

export interface Fakes {
  outputs?: Record<string, Record<string, unknown>> | null;
  /** What kubectl answers: one answer for every call, or an answer per argument list. @default "connection refused" */
  kubectl?: CommandOutput | ((args: string[]) => CommandOutput);
  /** Receives every kubectl argument list, for tests of what the commands ask. */
  kubectlCalls?: string[][];
  now?: string;
  fleet?: FleetBackend;
  progress?: string[];
  /** The environment the smoke checks read their secrets from. @default {} */
  smokeEnv?: Record<string, string>;
}
const REFUSED: CommandOutput = {
  status: 1,
  stdout: "",
  stderr: "The connection to the server localhost:8080 was refused",
};
export function env(dir: string, fakes: Fakes = {}): CliEnv {
  return {
    projectDir: dir,
    catalogDir: path.join(dir, "releases"),
    now: () => new Date(fakes.now ?? "2026-11-21T12:00:00Z"),
    stackOutputs:
      fakes.outputs === null || fakes.outputs === undefined
        ? null
        : async (stack) => {
            const found = fakes.outputs?.[stack];
            if (!found) throw new Error(`fake Automation API: no stack ${stack}`);
            return found;
          },
    kubectl: (args) => {
      fakes.kubectlCalls?.push(args);
      return typeof fakes.kubectl === "function" ? fakes.kubectl(args) : (fakes.kubectl ?? REFUSED);
    },
    fleet: fakes.fleet ?? null,
    progress: (line) => fakes.progress?.push(line),
    // Real HTTP (the tests serve loopback doubles); no waiting between attempts.
    smokeIo: { fetch, env: fakes.smokeEnv ?? {}, sleep: async () => {}, now: () => Date.now() },
  };
}

export async function lockstep(e: CliEnv, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, e, {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}
