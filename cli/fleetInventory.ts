/**
 * Reads the fleet: `fleet.yaml` (optional: ring order and the verifying stack), then every stack of the
 * project that carries a ring tag, with its outputs and stack file, through the fleet backend.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { deployedFromOutputs } from "../lib/state/deployed";
import { LockstepInputError, showValue } from "../lib/core/errors";
import { FLEET_TAGS, FleetFile, fleetFileSchema, Install, byRing } from "../lib/fleet/fleet";
import { readStackValues, stackFilePath } from "../lib/config/stackFile";
import type { CliEnv } from "./env";
import type { FleetBackend } from "./fleetBackend";

export const FLEET_FILE = "fleet.yaml";

export function readFleetFile(projectDir: string): FleetFile {
  const file = path.join(projectDir, FLEET_FILE);
  if (!fs.existsSync(file)) return fleetFileSchema.parse({});
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file, "utf8")) ?? {};
  } catch (err) {
    throw new LockstepInputError(`${FLEET_FILE}: not valid YAML (${(err as Error).message.split("\n")[0]})`);
  }
  const parsed = fleetFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.join(".");
    throw new LockstepInputError(
      `${FLEET_FILE}: ${at || "(root)"}${issue.code === "unrecognized_keys" ? "" : ` = ${showValue(issue.path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k as string], raw))}`}: ${issue.message}; allowed keys: rings (ring names in upgrade order), verifiedIn (a stack)`,
    );
  }
  return parsed.data;
}

export function requireFleetBackend(env: CliEnv, command: string): FleetBackend {
  if (!env.fleet)
    throw new LockstepInputError(
      `lockstep fleet ${command} reads the fleet from the Pulumi backend, and no Pulumi CLI is installed; install it and log in to the backend that holds the fleet's stacks`,
    );
  return env.fleet;
}

export interface Fleet {
  file: FleetFile;
  installs: Install[];
  /** Stacks of the project without a ring tag: not part of the fleet. */
  untagged: string[];
  /** Top-level keys of each install's stack file (for a release's required config). */
  configKeys(stack: string): string[];
}

export async function readFleet(backend: FleetBackend, env: CliEnv): Promise<Fleet> {
  const file = readFleetFile(env.projectDir);
  const stacks = await backend.listStacks();
  const tagged = stacks.filter((s) => s.tags[FLEET_TAGS.ring]);
  const values = new Map<string, Record<string, unknown>>();
  const installs = await Promise.all(
    tagged.map(async (s): Promise<Install> => {
      const outputs = await backend.outputs(s.name);
      const stackValues = fs.existsSync(stackFilePath(s.name, env.projectDir))
        ? readStackValues(s.name, env.projectDir)
        : {};
      values.set(s.name, stackValues);
      const verification = outputs.verification as
        { status?: string; version?: string; verifiedAt?: string | null } | undefined;
      return {
        stack: s.name,
        ring: s.tags[FLEET_TAGS.ring],
        region: s.tags[FLEET_TAGS.region] ?? null,
        customer: s.tags[FLEET_TAGS.customer] ?? null,
        deployed: deployedFromOutputs(outputs, `stack ${s.name}`),
        configuredRelease: typeof stackValues.release === "string" ? stackValues.release : null,
        kubernetesVersion: typeof stackValues.kubernetesVersion === "string" ? stackValues.kubernetesVersion : null,
        lastUpdate: s.lastUpdate,
        verification: verification?.status
          ? {
              status: verification.status,
              version: verification.version ?? null,
              verifiedAt: verification.verifiedAt ?? null,
            }
          : null,
      };
    }),
  );
  return {
    file,
    installs: byRing(installs, file.rings),
    untagged: stacks
      .filter((s) => !s.tags[FLEET_TAGS.ring])
      .map((s) => s.name)
      .sort(),
    configKeys: (stack) => Object.keys(values.get(stack) ?? {}),
  };
}
