/**
 * Where a stack's policy pack config lives, and the one setting the program itself reads from it: which
 * stacks are production (the gates key on it with or without the pack).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { LockstepInputError } from "../core/errors";
import { DEFAULT_PRODUCTION_STACKS } from "../state/gates";

export function policyConfigPath(stack: string, projectDir: string): string {
  return path.join(projectDir, "policy", "config", `${stack}.json`);
}

/** The policy pack and the config an `up` the CLI runs enforces, as the engine takes them. */
export function enforcedPack(stack: string, projectDir: string): { policyPack: string; policyPackConfig: string } {
  return { policyPack: path.join(projectDir, "policy"), policyPackConfig: enforcedPolicyConfig(stack, projectDir) };
}

/** The pack config an `up` the CLI runs enforces: the stack's own, else production's (every policy mandatory). */
export function enforcedPolicyConfig(stack: string, projectDir: string): string {
  const own = policyConfigPath(stack, projectDir);
  return fs.existsSync(own) ? own : policyConfigPath("prod", projectDir);
}

const productionSchema = z.object({
  "prod-promoted-only": z.object({ productionStacks: z.array(z.string()).optional() }).optional(),
});

/** The stacks the policy pack treats as production: its config for this stack, else its default. */
export function productionStacks(stack: string, projectDir: string): string[] {
  const file = policyConfigPath(stack, projectDir);
  if (!fs.existsSync(file)) return DEFAULT_PRODUCTION_STACKS;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new LockstepInputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = productionSchema.safeParse(raw);
  // A malformed entry is the pack's to report; the gate then keys on its default.
  return parsed.success
    ? (parsed.data["prod-promoted-only"]?.productionStacks ?? DEFAULT_PRODUCTION_STACKS)
    : DEFAULT_PRODUCTION_STACKS;
}
