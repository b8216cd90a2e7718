/**
 * The zero-downtime checks of the simulated-cluster suite (test/e2e/simulated/timeline.ts), on hand-made
 * timelines: each check passes a clean rollout and names what broke in one changed the way it guards.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { timelineSvg } from "../e2e/simulated/plot";
import { PROJECT } from "../helpers";
import {
  capacityDips,
  criticalPathMs,
  earlyFlips,
  endpointGaps,
  firstReady,
  pdbBreaches,
  servedEarly,
  Timeline,
  weightedEmptyBackends,
  zeroDowntimeViolations,
} from "../e2e/simulated/timeline";

/** A clean rolling update of a 3-replica `api` and a console flipped to a Ready green. */
function clean(): Timeline {
  return {
    startedAt: 1_000_000,
    endedAt: 1_010_000,
    endpoints: [
      { t: 0, service: "api", ready: 3 },
      { t: 2000, service: "api", ready: 4 },
      { t: 2100, service: "api", ready: 3 },
      { t: 0, service: "gateway-stable", ready: 3 },
      { t: 3000, service: "gateway-canary", ready: 2 },
      { t: 0, service: "console", ready: 3 },
      { t: 6000, service: "console", ready: 3 },
    ],
    deployments: [
      { t: 0, name: "api", replicas: 3, maxUnavailable: 0, available: 3, updated: 3 },
      { t: 100, name: "api", replicas: 3, maxUnavailable: 0, available: 3, updated: 0 },
      { t: 2100, name: "api", replicas: 3, maxUnavailable: 0, available: 3, updated: 3 },
      { t: 0, name: "console-green", replicas: 3, maxUnavailable: 0, available: 3, updated: 3, version: "1.5.0" },
      { t: 100, name: "console-green", replicas: 3, maxUnavailable: 0, available: 3, updated: 0, version: "1.5.1" },
      { t: 5000, name: "console-green", replicas: 3, maxUnavailable: 0, available: 3, updated: 3, version: "1.5.1" },
    ],
    pdbs: [
      { t: 0, name: "api", disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2 },
      { t: 2000, name: "api", disruptionsAllowed: 2, currentHealthy: 4, desiredHealthy: 2 },
    ],
    selectors: [
      { t: 0, service: "console", selector: { color: "blue" } },
      { t: 6000, service: "console", selector: { color: "green" } },
    ],
    routes: [
      { t: 0, route: "gateway", backends: [{ service: "gateway-stable", weight: 100 }] },
      {
        t: 3500,
        route: "gateway",
        backends: [
          { service: "gateway-stable", weight: 90 },
          { service: "gateway-canary", weight: 10 },
        ],
      },
    ],
    pods: [
      { name: "api-new-1", app: "api", version: "1.5.1", labels: {}, created: 500, ready: 2000 },
      { name: "gw-canary-1", app: "gateway", version: "1.5.1", labels: {}, created: 2500, ready: 3000 },
      { name: "console-green-1", app: "console", version: "1.5.1", labels: {}, created: 3000, ready: 4000 },
    ],
    served: [{ t: 2000, service: "api", pod: "api-new-1" }],
    marks: [{ t: 400, label: "backups done" }],
  };
}
const SPEC_RECORDED = {
  services: ["api", "gateway-stable", "console"],
  flipped: { service: "console", deploymentOf: (s: Record<string, string>) => `console-${s["lockstep.dev/color"]}` },
};
const SPEC = {
  services: ["api", "gateway-stable", "console"],
  flipped: { service: "console", deploymentOf: (s: Record<string, string>) => `console-${s.color}` },
};

describe("zero-downtime checks on a recorded rollout", () => {
  it("find nothing wrong in a clean rolling update with a canary and a flip after green is Ready", () => {
    assert.deepEqual(zeroDowntimeViolations(clean(), SPEC), []);
  });

  it("name a Service that lost its last ready endpoint, and for how long", () => {
    const tl = clean();
    tl.endpoints.push({ t: 4000, service: "api", ready: 0 }, { t: 9000, service: "api", ready: 3 });
    assert.deepEqual(endpointGaps(tl, SPEC.services), [
      { what: "Service api had 0 ready endpoints", from: 4000, to: 9000 },
    ]);
    // A Service that has not served yet (a new one) is not a gap.
    assert.deepEqual(
      endpointGaps(
        {
          ...clean(),
          endpoints: [
            { t: 0, service: "api", ready: 0 },
            { t: 100, service: "api", ready: 3 },
          ],
        },
        ["api"],
      ),
      [],
    );
  });

  it("count a gap that is still open when the watch ends up to the end", () => {
    const tl = clean();
    tl.endpoints.push({ t: 9500, service: "console", ready: 0 });
    assert.deepEqual(endpointGaps(tl, ["console"]), [
      { what: "Service console had 0 ready endpoints", from: 9500, to: 10_000 },
    ]);
  });

  it("flag a Deployment below replicas - maxUnavailable once it was fully available", () => {
    const tl = clean();
    tl.deployments.push({ t: 7000, name: "api", replicas: 3, maxUnavailable: 0, available: 2, updated: 3 });
    assert.deepEqual(
      capacityDips(tl).map((v) => v.what),
      ["Deployment api had 2 available of 3 (maxUnavailable 0)"],
    );
    const recreate = clean();
    recreate.deployments.push({ t: 7000, name: "api", replicas: 3, maxUnavailable: 3, available: 0, updated: 3 });
    assert.deepEqual(capacityDips(recreate), [], "what the strategy allows is not a dip");
  });

  it("flag route weight on a backend with no ready endpoint, at either end", () => {
    const early = clean();
    early.endpoints = early.endpoints.map((s) => (s.service === "gateway-canary" ? { ...s, t: 4000 } : s));
    assert.match(
      weightedEmptyBackends(early)[0]?.what ?? "",
      /sent weight 10 to gateway-canary, which had no ready endpoint/,
    );
    const lost = clean();
    lost.endpoints.push({ t: 8000, service: "gateway-canary", ready: 0 });
    assert.match(
      weightedEmptyBackends(lost)[0]?.what ?? "",
      /gateway-canary lost its last ready endpoint while HTTPRoute gateway sent it weight 10/,
    );
  });

  it("flag a flip to a color whose Deployment is not fully rolled out", () => {
    const tl = clean();
    tl.selectors[1].t = 4500;
    assert.deepEqual(
      earlyFlips(tl, "console", SPEC.flipped.deploymentOf).map((v) => v.what),
      [
        "Service console switched to console-green while it had 3 of 3 available (0 updated) at version 1.5.1, before its rollout to 1.5.1 finished",
      ],
    );
  });

  it("flag a flip made before the controller saw the new spec (its counts are still the old ones')", () => {
    const tl = clean();
    tl.deployments.push({
      t: 5500,
      name: "console-green",
      replicas: 3,
      maxUnavailable: 0,
      available: 3,
      updated: 3,
      version: "1.5.1",
      observed: false,
    });
    tl.deployments.push({
      t: 5800,
      name: "console-green",
      replicas: 3,
      maxUnavailable: 0,
      available: 3,
      updated: 3,
      version: "1.5.1",
    });
    tl.selectors[1].t = 5600;
    assert.equal(earlyFlips(tl, "console", SPEC.flipped.deploymentOf).length, 1);
  });

  it("flag a flip to a color still at its old version, even with every old pod available", () => {
    const tl = clean();
    tl.selectors[1].t = 50;
    assert.deepEqual(
      earlyFlips(tl, "console", SPEC.flipped.deploymentOf).map((v) => v.what),
      [
        "Service console switched to console-green while it had 3 of 3 available (3 updated) at version 1.5.0, before its rollout to 1.5.1 finished",
      ],
    );
  });

  it("flag a PDB whose healthy pods fell below what it guards", () => {
    const tl = clean();
    tl.pdbs.push({ t: 5000, name: "api", disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 2 });
    assert.deepEqual(
      pdbBreaches(tl).map((v) => [v.what, v.from]),
      [["PodDisruptionBudget api had 0 healthy, below the 2 it guards", 5000]],
    );
  });

  it("do not count a new PDB that starts below its count beside a new Deployment", () => {
    const tl = clean();
    tl.pdbs.push(
      { t: 2500, name: "gateway-canary", disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0 },
      { t: 2600, name: "gateway-canary", disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1 },
      { t: 3000, name: "gateway-canary", disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 },
    );
    assert.deepEqual(pdbBreaches(tl), []);
  });

  it("flag a pod served sooner after its creation than its readiness delay", () => {
    const tl = clean();
    const api = (p: { app: string }) => p.app === "api";
    assert.deepEqual(servedEarly(tl, api, 1500), []);
    assert.deepEqual(
      servedEarly(tl, api, 1600).map((v) => v.what),
      ["api served api-new-1 1500 ms after it was created (its readiness delay is 1600 ms)"],
    );
  });

  it("give each wave's first Ready, and none for a wave with no Ready pod", () => {
    const waves = [
      { wave: "api", match: (p: { app: string }) => p.app === "api" },
      { wave: "workers", match: (p: { app: string }) => p.app === "worker-export" },
    ];
    assert.deepEqual(firstReady(clean(), waves), [
      { wave: "api", t: 2000 },
      { wave: "workers", t: undefined },
    ]);
  });
});

describe("a timeline recorded on the simulated cluster before the route and the flip waited for their Deployments", () => {
  // rollout.e2e.ts's watch of 1.5.0 -> 1.5.1 with components/gateway.ts and console.ts as they were before
  // the HTTPRoute and the live console Service gained their dependsOn (2026-11-23).
  const recorded = JSON.parse(
    fs.readFileSync(path.join(PROJECT, "test", "fixtures", "rollout-before-route-and-flip-fix.json"), "utf8"),
  ) as Timeline;

  it("shows both faults the fix removed, and nothing else", () => {
    assert.deepEqual(
      zeroDowntimeViolations(recorded, SPEC_RECORDED).map((v) => v.what),
      [
        "HTTPRoute gateway sent weight 10 to gateway-canary, which had no ready endpoint",
        "Service console switched to console-green while it had 3 of 3 available (3 updated) at version 1.5.0, before its rollout to 1.5.1 finished",
      ],
    );
  });
});

describe("the critical path of readiness gates", () => {
  it("adds, wave by wave, the slowest gate times its sequential passes", () => {
    assert.equal(
      criticalPathMs([
        { wave: "backup", delayMs: 2000, sequentialSteps: 1 },
        { wave: "api", delayMs: 5000, sequentialSteps: 3 },
        { wave: "gateways", delayMs: 1500, sequentialSteps: 1 },
        { wave: "gateways", delayMs: 1000, sequentialSteps: 2 },
      ]),
      2000 + 15_000 + 2000,
    );
    assert.equal(criticalPathMs([]), 0);
  });
});

describe("the timeline plot", () => {
  it("draws a line per Service with samples, a legend entry per Service and the marks it is asked for", () => {
    const svg = timelineSvg(
      {
        ...clean(),
        marks: [
          { t: 400, label: "backups done" },
          { t: 900, label: "noise" },
        ],
      },
      { services: ["api", "console", "never-seen"], title: "a <title>", marks: /^backups/ },
    );
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 2, "no line for a Service without samples");
    assert.ok(svg.includes(">never-seen</text>"), "but a legend entry");
    assert.ok(svg.includes(">backups done</text>") && !svg.includes(">noise</text>"));
    assert.ok(svg.includes("a &lt;title&gt;"), "text is escaped");
    const twice = timelineSvg(
      {
        ...clean(),
        marks: [
          { t: 400, label: "backups done" },
          { t: 900, label: "backups done" },
        ],
      },
      { services: ["api"], title: "t" },
    );
    assert.equal((twice.match(/>backups done<\/text>/g) ?? []).length, 1, "a label is drawn once, at its last time");
  });
});
