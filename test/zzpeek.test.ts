import { it } from "node:test";
import * as path from "node:path";
import { loadCatalog } from "../lib/catalog";
import { env, lockstep, tempProject } from "./cliKit";
import { FakeFleet } from "./fleetKit";
import { PROJECT } from "./helpers";
const catalog = loadCatalog(path.join(PROJECT, "releases"));
it("peek", async () => {
  const dir = tempProject();
  const fleet = new FakeFleet(dir, catalog).add({ stack: "staging", version: "1.5.1" });
  fleet.add({ stack: "c1", ring: "canary", version: "1.5.1", region: "eu", customer: "acme" });
  fleet.add({ stack: "e1", ring: "early", version: "1.5.0", region: "eu" });
  fleet.add({ stack: "b1", ring: "broad", version: "1.4.2" });
  fleet.add({ stack: "b2", ring: "broad", version: null });
  fleet.add({ stack: "b3", ring: "broad", version: "1.3.4", kubernetesVersion: "1.27" });
  const mid = fleet.stacks.get("e1"); (mid!.outputs.workloads as Record<string,string>)["gateway-canary"] = "1.5.1";
  for (const args of [["fleet","status"],["fleet","needs-upgrade","--to","1.5.1"],["fleet","upgrade","--to","1.5.1","--dry-run","--skip-blocked"],["fleet","upgrade","--to","1.5.1","--skip-blocked"]]) {
    const r = await lockstep(env(dir, { fleet, now: "2026-11-22T12:00:00Z" }), ...args);
    console.log("=== " + args.join(" ") + " → " + r.code + "\n" + r.stdout + "\n--- stderr\n" + r.stderr);
  }
});
