import * as fs from "node:fs";
import * as path from "node:path";
import { loadCatalog } from "../../lib/release/catalog";
import { parseStackConfig } from "../../lib/config/config";
import { deepestIssue, LockstepInputError, showValue } from "../../lib/core/errors";
import { deployedFromOutputs } from "../../lib/state/deployed";
import { drillVerdict } from "../../lib/recovery/drill";
import { decidePromotion } from "../../lib/state/promotion";
import { lineDiff } from "../../lib/core/textDiff";
import { VerificationRecord, verificationInOutputs, verificationRecordSchema } from "../../lib/state/verification";
import { editStackConfig, readStackFile, readStackValues } from "../../lib/config/stackFile";
import { commitStackFile } from "../../lib/config/stackFileWrite";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";

export const PROMOTE_HELP = `Usage: lockstep promote [--from staging] [--to prod] [--record <file>] [--require-drill-days <n>] [--dry-run] [--json]

Copies exactly the set a stack verified to another stack: writes lockstep:release, lockstep:promotion
and the promoted version on the idle console color into Pulumi.<to>.yaml, keeping its comments and key
order. No upgrade.from is written: the window opens from what <to> runs, its pre-upgrade backups first. Refuses, writing nothing, when the source is not verified, when the catalog's
set digest for that version changed since, or when the step is not a valid upgrade path for <to>.

Where the verified set comes from:
  1. --record <file>: a verification record (a passed staging smoke test writes one at smoke.recordFile);
  2. otherwise the source stack's outputs through the Automation API, when a Pulumi CLI is installed;
  3. otherwise the source stack's smoke.recordFile, if that file exists.

  --from <stack>     verified stack (default staging)
  --to <stack>       stack to promote into (default prod)
  --record <file>    verification record to read instead of stack outputs
  --require-drill-days <n>
                     refuse unless <to>'s last passing restore drill (its stack outputs) is at most
                     <n> days old: its backups were proven to restore before it moves
  --dry-run          show the change to Pulumi.<to>.yaml without writing it
  --json             print one JSON object
  -h, --help         show this help`;

/** The target's last passing restore drill, judged against the required age; needs its stack outputs. */
async function targetDrill(to: string, days: number, env: CliEnv) {
  if (!env.stackOutputs)
    throw new LockstepInputError(
      `--require-drill-days needs ${to}'s last restore drill from its stack outputs, and no Pulumi CLI is installed to read them`,
    );
  const deployed = deployedFromOutputs(await env.stackOutputs(to), `stack ${to}`);
  return drillVerdict(deployed?.restoreDrill, env.now(), days);
}

async function readVerification(
  from: string,
  recordFile: string | undefined,
  env: CliEnv,
): Promise<{ record: VerificationRecord; source: string }> {
  const parse = (raw: unknown, source: string) => {
    const parsed = verificationRecordSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = deepestIssue(parsed.error.issues[0]);
      throw new LockstepInputError(`${source}: field ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    return { record: parsed.data, source };
  };
  const fromFile = (file: string) => {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      throw new LockstepInputError(
        `--record ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not valid JSON"}`,
      );
    }
    return parse(raw, file);
  };
  if (recordFile) return fromFile(path.resolve(recordFile));
  if (env.stackOutputs) {
    return parse(verificationInOutputs(from, await env.stackOutputs(from)), `stack ${from} outputs`);
  }
  const smoke = readStackValues(from, env.projectDir).smoke as { recordFile?: string } | undefined;
  const fallback = smoke?.recordFile ? path.resolve(env.projectDir, smoke.recordFile) : undefined;
  if (fallback && fs.existsSync(fallback)) return fromFile(fallback);
  throw new LockstepInputError(
    `no verification of ${from} to promote: no Pulumi CLI is installed to read its stack outputs, and ${fallback ? `its smoke.recordFile ${showValue(path.relative(env.projectDir, fallback))} does not exist (run \`pulumi up\` on ${from} first)` : `it sets no smoke.recordFile`}; pass --record <file>`,
  );
}

export async function promote(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("promote", argv, {
    from: { type: "string", default: "staging" },
    to: { type: "string", default: "prod" },
    record: { type: "string" },
    "require-drill-days": { type: "string" },
    "dry-run": { type: "boolean", default: false },
  });
  const drillDays = values["require-drill-days"] === undefined ? undefined : Number(values["require-drill-days"]);
  if (drillDays !== undefined && !(drillDays > 0))
    throw new LockstepInputError(
      `--require-drill-days ${JSON.stringify(values["require-drill-days"])}: expected a positive number of days`,
    );
  const from = values.from;
  const to = values.to;
  if (from === to)
    throw new LockstepInputError(`--from and --to are both ${from}; promotion copies a set between two stacks`);
  readStackFile(from, env.projectDir); // the source stack must exist
  const target = readStackFile(to, env.projectDir);
  const targetValues = target.values;
  const catalog = loadCatalog(env.catalogDir);
  const current = parseStackConfig(targetValues, catalog, { secretKeys: target.secretKeys }); // the target must be valid before it is changed

  const { record, source } = await readVerification(from, values.record, env);
  const decided = decidePromotion({
    fromStack: from,
    toStack: to,
    record,
    catalog,
    currentRelease: current.release,
    currentConsole: current.console,
    now: env.now(),
  });
  const drill = drillDays === undefined ? undefined : await targetDrill(to, drillDays, env);
  const decision =
    drill && !drill.ok
      ? {
          ok: false as const,
          reasons: [
            ...(decided.ok ? [] : decided.reasons),
            `--require-drill-days ${drillDays}: ${to}'s ${drill.reason}`,
          ],
        }
      : decided;
  if (!decision.ok) {
    return {
      exitCode: 1,
      human: `refused: ${from} -> ${to} was not promoted, and nothing was written:\n${decision.reasons.map((r) => `  - ${r}`).join("\n")}`,
      json: { ok: false, from, to, source, reasons: decision.reasons, written: false },
    };
  }
  const file = target.file;
  const before = target.text;
  const after = editStackConfig(file, before, decision.updates);
  // The edited stack must still be valid config before it is written.
  parseStackConfig({ ...targetValues, ...decision.updates }, catalog, { secretKeys: target.secretKeys });
  const diff = lineDiff(before, after);
  if (!values["dry-run"]) commitStackFile(file, before, after);
  const rel = path.relative(env.projectDir, file);
  const window =
    decision.previous !== decision.release
      ? `; upgrade window opened from ${decision.previous} (pre-upgrade backups run first), new console on the idle color`
      : "; same version, promotion record refreshed";
  const human = `${values["dry-run"] ? "dry run: would promote" : "promoted"} ${from} -> ${to}: release ${decision.release} (set ${decision.promotion.setDigest}, verified ${decision.promotion.verifiedAt}, from ${source})${window}\n${values["dry-run"] ? "" : `wrote ${rel}\n`}\n${diff}`;
  return {
    exitCode: 0,
    human,
    json: {
      ok: true,
      from,
      to,
      source,
      release: decision.release,
      previous: decision.previous,
      promotion: decision.promotion,
      written: !values["dry-run"],
      file: rel,
      diff,
      ...(drill ? { drill } : {}),
    },
  };
}
