/** How the fleet is read (cli/fleetInventory.ts): fleet.yaml, the ring-tagged stacks and their stack files. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { CliEnv } from "../../cli/env";
import type { FleetBackend, FleetStackSummary } from "../../cli/fleetBackend";
import { readFleet, readFleetFile, requireFleetBackend } from "../../cli/fleetInventory";
import { refusal } from "../helpers";

function project(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-fleet-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("readFleetFile", () => {
  it("takes the default rings and staging when there is no fleet.yaml, or an empty one", () => {
    const defaults = { rings: ["canary", "early", "broad"], verifiedIn: "staging" };
    assert.deepEqual(readFleetFile(project()), defaults);
    assert.deepEqual(readFleetFile(project({ "fleet.yaml": "" })), defaults);
    assert.deepEqual(readFleetFile(project({ "fleet.yaml": "rings: [eu, us]\nverifiedIn: qa\n" })), {
      rings: ["eu", "us"],
      verifiedIn: "qa",
    });
  });

  it("names the file, the key, the value and the keys allowed", () => {
    const allowed = "allowed keys: rings (ring names in upgrade order), verifiedIn (a stack)";
    assert.match(
      refusal(() => readFleetFile(project({ "fleet.yaml": "rings: [a\n" }))),
      /^fleet\.yaml: not valid YAML \(/,
    );
    assert.equal(
      refusal(() => readFleetFile(project({ "fleet.yaml": "ring: [a]\n" }))),
      `fleet.yaml: (root): Unrecognized key: "ring"; ${allowed}`,
    );
    assert.equal(
      refusal(() => readFleetFile(project({ "fleet.yaml": "rings: [a, a]\n" }))),
      `fleet.yaml: rings = ["a","a"]: must not name a ring twice; ${allowed}`,
    );
    assert.match(
      refusal(() => readFleetFile(project({ "fleet.yaml": "rings: [ok, Not_A_Label]\n" }))),
      /^fleet\.yaml: rings\.1 = "Not_A_Label": /,
    );
  });
});

describe("readFleet", () => {
  const stacks: FleetStackSummary[] = [
    { name: "zz-dev", tags: {}, lastUpdate: null },
    { name: "eu-1", tags: { "lockstep:ring": "early", "lockstep:region": "eu-west" }, lastUpdate: null },
    { name: "ca-1", tags: { "lockstep:ring": "canary", "lockstep:customer": "acme" }, lastUpdate: null },
    { name: "aa-dev", tags: { "other:tag": "x" }, lastUpdate: null },
  ];
  const outputs: Record<string, Record<string, unknown>> = {
    "eu-1": { verification: { status: "passed", version: "1.4.2", verifiedAt: "2026-12-01T10:00:00Z" } },
    "ca-1": { verification: { version: "1.4.2" } },
  };
  const backend = {
    listStacks: async () => stacks,
    outputs: async (stack: string) => outputs[stack] ?? {},
  } as unknown as FleetBackend;

  it("reads each ring-tagged stack with its tags, stack file and verification, in ring order", async () => {
    const dir = project({
      "Pulumi.eu-1.yaml": 'config:\n  lockstep:release: "1.4.2"\n  lockstep:kubernetesVersion: "1.31"\n',
    });
    const fleet = await readFleet(backend, { projectDir: dir } as CliEnv);
    assert.deepEqual(
      fleet.installs.map((i) => [i.stack, i.ring, i.region, i.customer, i.configuredRelease, i.kubernetesVersion]),
      [
        ["ca-1", "canary", null, "acme", null, null],
        ["eu-1", "early", "eu-west", null, "1.4.2", "1.31"],
      ],
    );
    assert.deepEqual(fleet.installs[1].verification, {
      status: "passed",
      version: "1.4.2",
      verifiedAt: "2026-12-01T10:00:00Z",
    });
    assert.equal(fleet.installs[0].verification, null, "a verification with no status is none");
    assert.deepEqual(fleet.untagged, ["aa-dev", "zz-dev"]);
    assert.deepEqual(fleet.configKeys("eu-1").sort(), ["kubernetesVersion", "release"]);
    assert.deepEqual(fleet.configKeys("ca-1"), [], "no stack file");
    assert.deepEqual(fleet.configKeys("zz-dev"), [], "not in the fleet");
  });

  it("refuses a fleet command with no Pulumi CLI, naming the command", () => {
    assert.equal(
      refusal(() => requireFleetBackend({ fleet: null } as CliEnv, "upgrade")),
      "lockstep fleet upgrade reads the fleet from the Pulumi backend, and no Pulumi CLI is installed; install it and log in to the backend that holds the fleet's stacks",
    );
    assert.equal(requireFleetBackend({ fleet: backend } as CliEnv, "status"), backend);
  });
});
