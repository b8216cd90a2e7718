/**
 * `pulumi up` loads index.ts through the project's ts-node with the project's tsconfig (the SDK's runner
 * falls back to a vendored ts-node 7 when none is installed). This runs that exact loader, with type
 * checking on as the runner's default, in a fresh process under mocks.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { PROJECT } from "./helpers";

const LOAD = `
const path = require("path");
require("ts-node").register({ project: path.join(process.cwd(), "tsconfig.json") });
const pulumi = require("@pulumi/pulumi");
// The stack's own last outputs, as a StackReference to itself reads them: 1.5.0 everywhere.
const deployed = { release: { version: "1.5.0" }, workloads: { api: "1.5.0", gateway: "1.5.0", "console-blue": "1.5.0", "console-green": "1.5.0", "worker-export": "1.5.0", "worker-lifecycle": "1.5.0", "worker-config": "1.5.0" } };
const registered = [];
pulumi.runtime.setMocks({
  newResource: (a) => {
    registered.push(a.type);
    return { id: a.name + "-id", state: a.type === "pulumi:pulumi:StackReference" ? { ...a.inputs, outputs: deployed } : a.inputs };
  },
  call: (a) => { throw new Error("unmocked " + a.token); },
}, "lockstep", "staging", true, "organization");
pulumi.runtime.setAllConfig(JSON.parse(process.env.LOCKSTEP_TEST_CONFIG), []);
const program = require(path.join(process.cwd(), "index.ts"));
program().then((outputs) => pulumi.all([outputs.release, outputs.waves, outputs.consoleLive, outputs.upgradeWindow])).then((o) => o.apply(([release, waves, live, window]) => {
  process.stdout.write(JSON.stringify({ release, waves: waves.map((w) => w.id), live, window, reference: registered.includes("pulumi:pulumi:StackReference") }));
}));
`;

describe("the Pulumi runtime's TypeScript loader", () => {
  it("resolves ts-node from the project, not the SDK's vendored 7.0.1", () => {
    const r = spawnSync(process.execPath, ["-e", "process.stdout.write(require('ts-node').VERSION)"], { cwd: PROJECT, encoding: "utf8" });
    assert.equal(r.stdout, "10.9.2");
  });

  it("compiles and type-checks index.ts with ts-node and runs the program", () => {
    const config = {
      "lockstep:release": "1.5.1", "lockstep:environment": "staging", "lockstep:kubernetesVersion": "1.31",
      "lockstep:backup": JSON.stringify({ destinationPath: "s3://b/", credentialsSecret: "s" }),
    };
    const r = spawnSync(process.execPath, ["-e", LOAD], { cwd: PROJECT, encoding: "utf8", env: { ...process.env, LOCKSTEP_TEST_CONFIG: JSON.stringify(config) }, timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.release.version, "1.5.1");
    assert.match(out.release.setDigest, /^sha256:[a-f0-9]{64}$/);
    assert.equal(out.reference, true, "the program reads its own stack's last outputs");
    assert.deepEqual(out.window, { from: "1.5.0", to: "1.5.1", mode: "rolling", gatewayCanaryPercent: null }, "the window opens from what is deployed, with nothing typed");
    assert.equal(out.waves[0], "pre-upgrade-backup");
    assert.equal(out.live, "blue");
  });
});
