/** `lockstep fleet status` and `lockstep fleet needs-upgrade`: what every install runs, and who is behind. */
import { loadCatalog } from "../../lib/release/catalog";
import { LockstepInputError } from "../../lib/core/errors";
import { distribution, Install, upgradeNeeds, windowOpen } from "../../lib/fleet/fleet";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";
import { readFleet, requireFleetBackend } from "../fleetInventory";
import { table } from "../table";

const FLEET_INTRO = `The fleet is the stacks of this project tagged with a ring (pulumi stack tag set lockstep:ring canary
--stack <install>; lockstep:region and lockstep:customer are shown too), read from the Pulumi backend
through the Automation API. fleet.yaml (optional) orders the rings (default canary, early, broad) and
names the stack whose verification an upgrade requires (default staging).`;

export const FLEET_STATUS_HELP = `Usage: lockstep fleet status [--json]

What every install runs: release, set digest, the version of each workload, whether a window is open,
the last update's result and time, and the last verification; then the version distribution.

${FLEET_INTRO}`;

export const FLEET_NEEDS_UPGRADE_HELP = `Usage: lockstep fleet needs-upgrade --to <version> [--json]

Which installs are behind <version> and the path each must take (the policy pack's path logic), and
which cannot take it, with the reason: no allowed path, Kubernetes outside a release's range on the
path, config a release requires, a window still open, a major to cross (a coordinated window). Exits 0
when nothing is blocked, 1 otherwise.

${FLEET_INTRO}`;

const short = (digest: string | null | undefined) => (digest ? digest.replace(/^sha256:/, "").slice(0, 12) : "-");

/** "all 1.5.1", or each workload not at the release. */
function workloadsText(install: Install): string {
  const d = install.deployed;
  if (!d) return "-";
  const off = Object.entries(d.workloads).filter(([, v]) => v !== d.release);
  return off.length ? `${d.release}; ${off.map(([w, v]) => `${w} ${v}`).join(", ")}` : `all ${d.release}`;
}

function bar(count: number, max: number, width = 30): string {
  return "█".repeat(Math.max(1, Math.round((count / max) * width)));
}

export async function fleetStatus(argv: string[], env: CliEnv): Promise<CommandResult> {
  parseCommandArgs("fleet status", argv, {});
  const fleet = await readFleet(requireFleetBackend(env, "status"), env);
  const shares = distribution(fleet.installs);
  const rows = fleet.installs.map((i) => ({
    stack: i.stack,
    ring: i.ring,
    region: i.region,
    customer: i.customer,
    release: i.deployed?.release ?? null,
    setDigest: i.deployed?.setDigest ?? null,
    workloads: i.deployed?.workloads ?? {},
    windowOpen: windowOpen(i.deployed),
    configuredRelease: i.configuredRelease,
    lastUpdate: i.lastUpdate,
    verification: i.verification,
  }));
  const max = Math.max(1, ...shares.map((s) => s.count));
  const human = [
    `fleet: ${fleet.installs.length} install(s) in rings ${fleet.file.rings.join(" -> ")}${fleet.untagged.length ? `; not in the fleet (no ring tag): ${fleet.untagged.join(", ")}` : ""}`,
    "",
    table(
      ["stack", "ring", "region", "customer", "runs", "set", "window", "last update", "verified"],
      fleet.installs.map((i) => [
        i.stack,
        i.ring,
        i.region ?? "-",
        i.customer ?? "-",
        workloadsText(i),
        short(i.deployed?.setDigest),
        windowOpen(i.deployed) ? "open" : "closed",
        i.lastUpdate ? `${i.lastUpdate.result} ${i.lastUpdate.at ?? ""}`.trim() : "never",
        i.verification ? `${i.verification.status} ${i.verification.version ?? ""}`.trim() : "-",
      ]),
    ),
    "",
    "versions:",
    ...shares.map((s) => `  ${s.version.padEnd(12)} ${bar(s.count, max)} ${s.count}`),
  ].join("\n");
  return {
    exitCode: 0,
    human,
    json: { rings: fleet.file.rings, installs: rows, distribution: shares, untagged: fleet.untagged },
  };
}

export async function fleetNeedsUpgrade(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("fleet needs-upgrade", argv, { to: { type: "string" } });
  const catalog = loadCatalog(env.catalogDir);
  if (!values.to)
    throw new LockstepInputError(`--to is required, like --to ${catalog.versions[catalog.versions.length - 1]}`);
  const fleet = await readFleet(requireFleetBackend(env, "needs-upgrade"), env);
  const needs = upgradeNeeds(fleet.installs, values.to, catalog, fleet.configKeys);
  const blocked = needs.filter((n) => n.status === "blocked");
  const behind = needs.filter((n) => n.status === "behind");
  const human = [
    `fleet -> ${values.to}: ${behind.length} behind, ${blocked.length} blocked, ${needs.length - behind.length - blocked.length} current`,
    "",
    table(
      ["stack", "ring", "runs", "status", "path / why not"],
      needs.map((n) => [
        n.stack,
        n.ring,
        n.from ?? "-",
        n.status,
        n.status === "behind" ? n.path.join(" -> ") : n.status === "blocked" ? n.reasons.join("; ") : "-",
      ]),
    ),
  ].join("\n");
  return { exitCode: blocked.length ? 1 : 0, human, json: { to: values.to, needs } };
}
