/** `lockstep fleet upgrade --to <version>`: ring by ring, each install preflight -> preview -> up -> smoke. */
import * as fs from "node:fs";
import * as path from "node:path";
import { Catalog, loadCatalog } from "../../lib/release/catalog";
import { parseStackConfig } from "../../lib/config/config";
import { LockstepInputError } from "../../lib/core/errors";
import { FleetTarget, FleetStep, runFleetUpgrade, StepOutcome } from "../../lib/fleet/fleetRun";
import { upgradeNeeds } from "../../lib/fleet/fleet";
import { decidePromotion } from "../../lib/state/promotion";
import { editStackConfig, readStackFile, stackFilePath } from "../../lib/config/stackFile";
import { commitStackFile } from "../../lib/config/stackFileWrite";
import { verificationInOutputs, verificationRecordSchema, VerificationRecord } from "../../lib/state/verification";
import { enforcedPack } from "../../lib/config/packConfig";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";
import type { FleetBackend } from "../fleetBackend";
import { readFleet, requireFleetBackend } from "../fleetInventory";
import { table } from "../table";
import { preflight } from "./preflight";

export const FLEET_UPGRADE_HELP = `Usage: lockstep fleet upgrade --to <version> [--concurrency <n>] [--max-failures <k>] [--skip-blocked] [--dry-run] [--json]

Upgrades the fleet to <version>, ring by ring (fleet.yaml order). Each install: its stack file gets the
release, the promotion record of the verified set and the new console color (live flips to it), then
preflight -> pulumi preview with the policy pack -> pulumi up -> smoke (the up's verification output).
A ring starts only when the ring before it passed. A failed install is left as its up left it, reported
with its error and log file (.lockstep/fleet/<run>/<stack>.log), and never stops the others in its ring.
Installs already at <version> and verified are skipped, so a second run resumes.

Refused before anything starts: <version> not verified in the verifying stack (fleet.yaml verifiedIn,
default staging), or an install that cannot take it (see fleet needs-upgrade) unless --skip-blocked.

  --to <version>       the release to move the fleet to (required); one window: an install further
                       behind is blocked and takes the path one release at a time
  --concurrency <n>    installs upgraded at once within a ring (default 1)
  --max-failures <k>   after k failures no new install starts; running ones finish (default 1)
  --skip-blocked       leave blocked installs out instead of refusing the run
  --dry-run            show what would run, ring by ring, and touch nothing
  --json               print one JSON object
  -h, --help           show this help

Exit codes: 0 every install passed (or was already done), 1 refused before starting (nothing touched),
2 bad input, 3 some installs failed or did not start.`;

function positive(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new LockstepInputError(`--${flag} ${JSON.stringify(raw)}: expected a whole number of at least 1`);
  return n;
}

/** The verifying stack's last verification, which must be of exactly the target set. */
export async function verifiedRecord(backend: FleetBackend, stack: string): Promise<VerificationRecord> {
  const parsed = verificationRecordSchema.safeParse(verificationInOutputs(stack, await backend.outputs(stack)));
  if (!parsed.success)
    throw new LockstepInputError(
      `stack ${stack} (the verifying stack) has no verification in its outputs: run \`pulumi up\` on it first`,
    );
  return parsed.data;
}

/**
 * What an install's stack file gets for the verified set: promote's updates (release, promotion record,
 * the new version on the idle console color), and, unattended, the console flip in the same up (the live
 * Service moves once the new color is Ready).
 */
export function installUpdates(
  stack: string,
  record: VerificationRecord,
  verifiedIn: string,
  catalog: Catalog,
  env: CliEnv,
): { ok: true; updates: Record<string, unknown> } | { ok: false; reasons: string[] } {
  const file = readStackFile(stack, env.projectDir);
  const config = parseStackConfig(file.values, catalog, { secretKeys: file.secretKeys });
  const decision = decidePromotion({
    fromStack: verifiedIn,
    toStack: stack,
    record,
    catalog,
    currentRelease: config.release,
    currentConsole: config.console,
    now: env.now(),
  });
  if (!decision.ok) return decision;
  const updates = { ...decision.updates };
  const colors = updates.console as typeof config.console | undefined;
  if (colors && colors.blue !== colors.green)
    updates.console = { ...colors, live: colors.live === "blue" ? "green" : "blue" };
  return { ok: true, updates };
}

export async function fleetUpgrade(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("fleet upgrade", argv, {
    to: { type: "string" },
    concurrency: { type: "string" },
    "max-failures": { type: "string" },
    "skip-blocked": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
  });
  const catalog = loadCatalog(env.catalogDir);
  if (!values.to)
    throw new LockstepInputError(`--to is required, like --to ${catalog.versions[catalog.versions.length - 1]}`);
  const to = values.to;
  const concurrency = positive("concurrency", values.concurrency, 1);
  const maxFailures = positive("max-failures", values["max-failures"], 1);
  const backend = requireFleetBackend(env, "upgrade");
  const fleet = await readFleet(backend, env);
  const needs = upgradeNeeds(fleet.installs, to, catalog, fleet.configKeys);
  const byStack = new Map(fleet.installs.map((i) => [i.stack, i]));
  const verified = (stack: string) => {
    const v = byStack.get(stack)?.verification;
    return v?.status === "passed" && (v.version === null || v.version === to);
  };
  const current: FleetTarget[] = [];
  const targets: FleetTarget[] = [];
  const blocked: { stack: string; reasons: string[] }[] = [];
  for (const need of needs) {
    if (need.status === "blocked") blocked.push({ stack: need.stack, reasons: need.reasons });
    else if (need.status === "behind" && need.path.length > 2)
      blocked.push({
        stack: need.stack,
        reasons: [
          `${need.from} -> ${to} takes ${need.path.length - 1} windows (${need.path.join(" -> ")}): upgrade the fleet one release at a time, first --to ${need.path[1]}`,
        ],
      });
    else if (need.status === "current" && verified(need.stack))
      current.push({ stack: need.stack, ring: need.ring, from: need.from });
    else targets.push({ stack: need.stack, ring: need.ring, from: need.from });
  }
  const refuse = (reasons: string[]): CommandResult => ({
    exitCode: 1,
    human: `refused: the fleet was not upgraded to ${to}, and nothing was touched:\n${reasons.map((r) => `  - ${r}`).join("\n")}`,
    json: { ok: false, to, refused: reasons, results: [] },
  });
  if (blocked.length && !values["skip-blocked"])
    return refuse(blocked.map((b) => `${b.stack}: ${b.reasons.join("; ")} (or --skip-blocked)`));
  const record = await verifiedRecord(backend, fleet.file.verifiedIn);
  if (record.version !== to)
    return refuse([`${fleet.file.verifiedIn} verified ${record.version}, not ${to}: verify ${to} there first`]);
  // The same rule as promote: a passed smoke test of exactly the catalog's set (the path is checked per install).
  const promotable = decidePromotion({
    fromStack: fleet.file.verifiedIn,
    toStack: "the fleet",
    record,
    catalog,
    currentRelease: to,
    currentConsole: { blue: to, green: to, live: "blue" },
    now: env.now(),
  });
  if (!promotable.ok) return refuse(promotable.reasons);

  if (values["dry-run"]) {
    const human = [
      `dry run: the fleet -> ${to} (verified in ${fleet.file.verifiedIn}), ${concurrency} at a time, stop after ${maxFailures} failure(s)`,
      "",
      table(
        ["ring", "stack", "from", "action"],
        [
          ...targets.map((t) => [t.ring, t.stack, t.from, "upgrade"]),
          ...current.map((t) => [t.ring, t.stack, t.from, "skip: done"]),
          ...blocked.map((b) => [
            byStack.get(b.stack)?.ring ?? "-",
            b.stack,
            byStack.get(b.stack)?.deployed?.release ?? "-",
            `skip: ${b.reasons[0]}`,
          ]),
        ],
      ),
    ].join("\n");
    return { exitCode: 0, human, json: { ok: true, dryRun: true, to, targets, current, blocked } };
  }

  const runDir = path.join(env.projectDir, ".lockstep", "fleet", env.now().toISOString().replace(/[:.]/g, "-"));
  fs.mkdirSync(runDir, { recursive: true });
  const logFile = (stack: string) => path.join(runDir, `${stack}.log`);
  const stepEnv: CliEnv = { ...env, stackOutputs: (stack) => backend.outputs(stack) };
  const engine = (stack: string, log: (line: string) => void) => ({
    ...enforcedPack(stack, env.projectDir),
    onOutput: log,
  });
  const run = async (step: FleetStep, target: FleetTarget, log: (line: string) => void): Promise<StepOutcome> => {
    const { stack } = target;
    switch (step) {
      case "prepare": {
        const decision = installUpdates(stack, record, fleet.file.verifiedIn, catalog, env);
        if (!decision.ok) return { ok: false, detail: decision.reasons.join("; ") };
        const updates = decision.updates;
        const full = stackFilePath(stack, env.projectDir);
        const before = fs.readFileSync(full, "utf8");
        commitStackFile(full, before, editStackConfig(full, before, updates));
        return {
          ok: true,
          detail: `${path.basename(full)}: release ${to}, promotion ${record.setDigest.slice(7, 19)}`,
        };
      }
      case "preflight": {
        const r = await preflight(["--stack", stack, "--skip-plan"], stepEnv);
        log(r.human);
        const failed = ((r.json.rows ?? []) as { check: string; status: string; reason: string }[]).filter(
          (row) => row.status === "✗",
        );
        return r.exitCode === 0
          ? { ok: true, detail: "no ✗ row" }
          : {
              ok: false,
              detail: failed.map((row) => `${row.check}: ${row.reason}`).join("; ") || r.human.split("\n")[0],
            };
      }
      case "preview":
        await backend.preview(stack, engine(stack, log));
        return { ok: true, detail: "the policy pack passed" };
      case "up":
        await backend.up(stack, engine(stack, log));
        return { ok: true, detail: "succeeded" };
      case "smoke": {
        const outputs = await backend.outputs(stack);
        const release = (outputs.release as { version?: string } | undefined)?.version;
        const verification = outputs.verification as { status?: string } | undefined;
        return release === to && verification?.status === "passed"
          ? { ok: true, detail: `runs ${to}, smoke passed` }
          : {
              ok: false,
              detail: `after the up it runs ${release ?? "nothing"} and its smoke test ${verification?.status ?? "did not run"}`,
            };
      }
    }
  };
  const outcome = await runFleetUpgrade({
    rings: fleet.file.rings,
    targets,
    current,
    concurrency,
    maxFailures,
    progress: env.progress,
    now: () => Date.now(),
    steps: { run, logFile, appendLog: (stack, line) => fs.appendFileSync(logFile(stack), `${line}\n`) },
  });
  const rows = outcome.results.map((r) => [
    r.ring,
    r.stack,
    r.from,
    r.status,
    r.failedStep ?? "-",
    r.detail,
    r.logFile ? path.relative(env.projectDir, r.logFile) : "-",
  ]);
  const passed = outcome.results.filter((r) => r.status === "passed").length;
  const human = [
    `fleet -> ${to}: ${passed} upgraded, ${outcome.results.filter((r) => r.status === "skipped-current").length} already done, ${outcome.results.filter((r) => r.status === "failed").length} failed, ${outcome.results.filter((r) => r.status === "not-started").length} not started${blocked.length ? `, ${blocked.length} blocked and left out` : ""}`,
    "",
    table(["ring", "stack", "from", "status", "step", "detail", "log"], rows),
    ...outcome.haltedRings.map((h) => `ring ${h.ring} did not start: ${h.reason}`),
  ].join("\n");
  return {
    exitCode: outcome.allPassed ? 0 : 3,
    human,
    json: {
      ok: outcome.allPassed,
      to,
      results: outcome.results,
      haltedRings: outcome.haltedRings,
      blocked,
      logDir: path.relative(env.projectDir, runDir),
    },
  };
}
