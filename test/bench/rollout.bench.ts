/**
 * Rollout benchmark: the upgrade window's wall time against the critical path of its readiness gates,
 * as the simulated-cluster suite (test/e2e/rollout.e2e.ts) last measured it. That suite needs the
 * real-engine toolchain and runs in `npm run test:e2e`; this prints its last figures (reports/e2e/
 * rollout.json) or says how to produce them: the window against the critical path (goal at most 1.1x), the whole
 * `up` against it (goal at most 1.3x), the `pulumi up` process alone, where the time went, and the cluster's
 * own floor. Nothing is asserted.
 *
 *   npm run bench
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { splitLines, WindowSplit } from "../e2e/simulated/split";
import { PROJECT } from "../helpers";

interface RolloutFigures {
  measuredAt: string;
  from: string;
  to: string;
  criticalPathMs: number;
  upWallMs: number;
  rolloutWallMs: number;
  ratioUp: number;
  ratioRollout: number;
  /** The `pulumi up` process alone (absent from figures measured before 2026-12-07). */
  upProcessMs?: number;
  ratioUpProcess?: number;
  /** What the Automation API's `up()` adds before and after that process. */
  automationApi?: { beforeMs: number; afterMs: number };
  /** Where the `up`'s time went (absent from figures measured before 2026-12-04). */
  split?: WindowSplit;
  /** The simulated cluster's own time for one rolling update, kubectl alone. */
  clusterFloor?: { deployment: string; gatesMs: number; kubectlMs: number };
}

function main(): void {
  const file = path.join(PROJECT, "reports", "e2e", "rollout.json");
  if (!fs.existsSync(file)) {
    console.log(
      `rollout on the simulated cluster: not measured on this checkout (${path.relative(PROJECT, file)} is written by \`npm run test:e2e\`, rollout.e2e.ts)`,
    );
    return;
  }
  const f = JSON.parse(fs.readFileSync(file, "utf8")) as RolloutFigures;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `rollout ${f.from} -> ${f.to} on the simulated cluster (measured ${f.measuredAt}): critical path of readiness gates ${s(f.criticalPathMs)}; ` +
      `first to last change ${s(f.rolloutWallMs)} = ${f.ratioRollout}x (goal <= 1.1x); whole \`pulumi up\` ${s(f.upWallMs)} = ${f.ratioUp}x (goal <= 1.3x)`,
  );
  if (f.upProcessMs !== undefined && f.automationApi) {
    console.log(
      `  the \`pulumi up\` process alone ${s(f.upProcessMs)} = ${f.ratioUpProcess}x; the Automation API adds ${s(f.automationApi.beforeMs)} before it and ${s(f.automationApi.afterMs)} after (its \`stack output\` and \`stack history\` reads)`,
    );
  }
  if (f.split) for (const line of splitLines(f.split)) console.log(`  ${line}`);
  if (f.clusterFloor) {
    const c = f.clusterFloor;
    console.log(
      `  the cluster's own floor: ${c.deployment}'s rolling restart with kubectl alone ${s(c.kubectlMs)} against ${s(c.gatesMs)} of gates`,
    );
  }
}

main();
