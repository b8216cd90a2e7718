/**
 * Fleet benchmark: `lockstep fleet status` over 200 stacks in 3 rings through the fake backend (the
 * Automation API's answers held in memory), in process. Prints the median of the runs; the target is
 * under 2 s. Asserts nothing about time.
 *
 *   npm run bench
 */
import * as path from "node:path";
import { loadCatalog } from "../../lib/release/catalog";
import { env, lockstep, tempProject } from "../cliKit";
import { FakeFleet } from "../fleetKit";
import { PROJECT } from "../helpers";

async function main(): Promise<void> {
  const catalog = loadCatalog(path.join(PROJECT, "releases"));
  const dir = tempProject();
  const fleet = new FakeFleet(dir, catalog).add({ stack: "staging", version: "1.5.1" });
  const versions = ["1.4.2", "1.5.0", "1.5.1"];
  const rings = ["canary", "early", "broad"];
  for (let i = 0; i < 200; i++)
    fleet.add({
      stack: `install-${String(i).padStart(3, "0")}`,
      ring: rings[i < 10 ? 0 : i < 60 ? 1 : 2],
      version: versions[i % 3],
    });
  const times: number[] = [];
  for (let run = 0; run < 7; run++) {
    const started = performance.now();
    const r = await lockstep(env(dir, { fleet }), "fleet", "status", "--json");
    times.push(performance.now() - started);
    if (r.code !== 0) throw new Error(`fleet status failed: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  console.log(
    `fleet status, 200 stacks through the fake backend: median ${Math.round(times[3])} ms (min ${Math.round(times[0])}, max ${Math.round(times[6])}; target < 2000 ms)`,
  );
}

void main();
