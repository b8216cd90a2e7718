import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitLines, StepTimes, windowSplit } from "../../test/e2e/simulated/split";

const urn = (types: string, name: string) => `urn:pulumi:staging::lockstep::${types}::${name}`;
const PLATFORM = urn("lockstep:platform:Platform", "platform");
const WAVE_API = urn("lockstep:platform:Platform$lockstep:rollout:Wave", "wave-api");
const WAVE_GW = urn("lockstep:platform:Platform$lockstep:rollout:Wave", "wave-gateways");
const API = urn("lockstep:platform:Platform$lockstep:rollout:Wave$lockstep:api:Api", "api");
const GW = urn("lockstep:platform:Platform$lockstep:rollout:Wave$lockstep:gateway:Gateways", "gateways");

const component = (u: string, parent: string | undefined, started: number): StepTimes => ({
  urn: u,
  parent,
  custom: false,
  changed: false,
  started,
  done: started,
});
const custom = (name: string, parent: string, started: number, done?: number): StepTimes => ({
  urn: `${parent}$k8s::${name}`,
  parent,
  custom: true,
  changed: true,
  started,
  ...(done === undefined ? {} : { done }),
});

// An up from t=1000 to t=30000: components registered at once, the API wave's steps 6000..20000, the
// gateways' 20500..26000, the release record (in no wave) at 27000.
const STEPS: StepTimes[] = [
  component(PLATFORM, undefined, 1500),
  component(WAVE_API, PLATFORM, 1600),
  component(WAVE_GW, PLATFORM, 1600),
  component(API, WAVE_API, 1700),
  component(GW, WAVE_GW, 1700),
  custom("api-sa", API, 6000, 6100),
  custom("api", API, 6200, 20000),
  custom("gateway", GW, 20500, 25000),
  custom("gateway-route", GW, 25100, 26000),
  custom("lockstep-release", PLATFORM, 27000, 27500),
];

describe("the split of an up's wall time", () => {
  const split = windowSplit(STEPS, 1000, 30000);

  it("starts at the first custom step: a component's registration is not work", () => {
    assert.equal(split.startMs, 5000);
  });

  it("times each wave from its first step to its last, by the wave its ancestors name", () => {
    assert.deepEqual(split.waves, [
      { wave: "api", startedMs: 5000, doneMs: 19000, ms: 14000 },
      { wave: "gateways", startedMs: 19500, doneMs: 25000, ms: 5500 },
    ]);
  });

  it("measures the gap between one wave's last step and the next wave's first", () => {
    assert.deepEqual(split.gaps, [{ after: "api", before: "gateways", ms: 500 }]);
  });

  it("ends at the last step of any kind, the release record included", () => {
    assert.equal(split.endMs, 2500);
    assert.equal(split.totalMs, 29000);
  });

  it("an unchanged step is no work, though its children's waves are found through it", () => {
    const same = windowSplit([...STEPS, { ...custom("api-pdb", API, 1800, 1900), changed: false }], 1000, 30000);
    assert.equal(same.startMs, 5000);
    assert.deepEqual(same.waves, split.waves);
  });

  it("a step that never finished ends its wave at its start", () => {
    const unfinished = windowSplit([...STEPS.slice(0, 5), custom("api", API, 6200)], 1000, 30000);
    assert.deepEqual(unfinished.waves, [{ wave: "api", startedMs: 5200, doneMs: 5200, ms: 0 }]);
  });

  it("an up that changed nothing is all start", () => {
    assert.deepEqual(windowSplit([], 1000, 4000), { startMs: 3000, waves: [], gaps: [], endMs: 0, totalMs: 3000 });
  });

  it("prints every part with its seconds", () => {
    assert.deepEqual(splitLines(split), [
      "start (engine, program, its reads) 5.0 s",
      "wave api 14.0 s",
      "wave gateways 5.5 s",
      "gaps between waves 0.5 s (api->gateways 0.5 s)",
      "end 2.5 s",
    ]);
  });
});
