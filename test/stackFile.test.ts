import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LockstepInputError } from "../lib/errors";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SECRET_PLACEHOLDER } from "../lib/secrets";
import { applySets, editStackConfig, parseSetValue, readStackFile, readStackValues, toPulumiConfig } from "../lib/stackFile";
import { runStack } from "../plan/plan";
import { PROJECT } from "./helpers";

describe("stack files and --set", () => {
  it("reads lockstep keys from Pulumi.<stack>.yaml without the prefix", () => {
    const values = readStackValues("prod");
    assert.equal(values.release, "1.5.1");
    assert.equal(values.ha, true);
    assert.deepEqual(values.console, { blue: "1.5.1", green: "1.5.0", live: "blue" });
  });

  it("parses values as JSON where they can, strings otherwise, without mangling versions", () => {
    assert.equal(parseSetValue(["upgrade", "gatewayCanaryPercent"], "10"), 10);
    assert.equal(parseSetValue(["ha"], "true"), true);
    assert.equal(parseSetValue(["upgrade", "from"], "1.4.2"), "1.4.2");
    assert.equal(parseSetValue(["kubernetesVersion"], "1.30"), "1.30");
    assert.equal(parseSetValue(["route", "x"], "1.30"), "1.30", "a number whose JSON form differs stays text");
    assert.deepEqual(parseSetValue(["route", "hostnames"], '["a","b"]'), ["a", "b"]);
    assert.equal(parseSetValue(["smoke", "blockedPrompt"], "hello world"), "hello world");
  });

  it("reaches into objects with dotted keys, creates missing objects, and removes with null", () => {
    const out = applySets({ console: { blue: "1.5.0", live: "blue" }, smoke: { gatewayUrl: "https://x" } }, ["console.live=green", "upgrade.from=1.4.2", "smoke=null", "lockstep:ha=true"]);
    assert.deepEqual(out, { console: { blue: "1.5.0", live: "green" }, upgrade: { from: "1.4.2" }, ha: true });
  });

  it("refuses malformed overrides with the assignment in the message", () => {
    assert.throws(() => applySets({}, ["novalue"]), /--set "novalue": expected key=value/);
    assert.throws(() => applySets({}, ["a..b=1"]), /empty segment/);
    assert.throws(() => applySets({ release: "1.5.0" }, ["release.x=1"]), /release is "1\.5\.0", not an object/);
    assert.throws(() => readStackValues("../etc"), LockstepInputError);
    assert.throws(() => readStackValues("dev"), /no Pulumi\.dev\.yaml .* known stacks: prod, staging/);
  });

  it("encodes values as the CLI hands them to a program", () => {
    assert.deepEqual(toPulumiConfig({ release: "1.5.0", ha: true, upgrade: { from: "1.4.2" } }), {
      "lockstep:release": "1.5.0", "lockstep:ha": "true", "lockstep:upgrade": '{"from":"1.4.2"}',
    });
  });
});

describe("stack files in the forms `pulumi config set` writes", () => {
  const project = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-stackfile-"));
    for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml"]) fs.copyFileSync(path.join(PROJECT, f), path.join(dir, f));
    return dir;
  };
  const withStack = (text: string) => {
    const dir = project();
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), text);
    return dir;
  };
  const shipped = fs.readFileSync(path.join(PROJECT, "Pulumi.staging.yaml"), "utf8");

  it("reads quoted booleans and numbers as the program does (the CLI stores `ha: \"false\"`)", async () => {
    const dir = withStack(`${shipped}  lockstep:awaitRollouts: "false"\n`.replace("lockstep:ha: false", 'lockstep:ha: "true"').replace("expectedStatus: 409", 'expectedStatus: "409"'));
    const { inputs } = await runStack({ stack: "staging", projectDir: dir });
    assert.equal(inputs.config.ha, true);
    assert.equal(inputs.config.awaitRollouts, false);
    assert.equal(inputs.config.smoke?.expectedStatus, 409);
    const { inputs: viaSet } = await runStack({ stack: "staging", projectDir: dir, deployed: "1.5.0", sets: ['upgrade.gatewayCanaryPercent="10"'] });
    assert.equal(viaSet.config.upgrade?.gatewayCanaryPercent, 10);
  });

  it("treats an encrypted value as a secret: allowed in chartValues and passed on secret, refused elsewhere naming the key", async () => {
    const secure = "secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB";
    const file = readStackFile("staging", withStack(`${shipped}  lockstep:chartValues:\n    identity:\n      adminPassword:\n        ${secure}\n`));
    assert.deepEqual(file.secretKeys, ["chartValues"]);
    assert.deepEqual(file.values.chartValues, { identity: { adminPassword: SECRET_PLACEHOLDER } });
    const { inputs, run } = await runStack({ stack: "staging", projectDir: path.dirname(file.file) });
    assert.deepEqual(inputs.config.secretKeys, ["chartValues"]);
    const keycloak = run.resources.find((r) => r.name === "keycloak");
    assert.deepEqual(keycloak?.secretProps, ["values"], "the merged values go to Helm as a secret");
    assert.equal((keycloak?.props.values as { adminPassword?: string }).adminPassword, SECRET_PLACEHOLDER);
    const elsewhere = withStack(shipped.replace("gatewayName: platform-gateway", `gatewayName:\n      ${secure}`));
    await assert.rejects(runStack({ stack: "staging", projectDir: elsewhere }), /lockstep:route = \[secret\]: is stored as a secret, but lockstep reads this value itself; only chartValues may hold secrets/);
  });

  it("refuses an unquoted YAML number for a version key, since Pulumi reads 1.30 as 1.3", () => {
    const dir = withStack(shipped.replace('lockstep:kubernetesVersion: "1.31"', "lockstep:kubernetesVersion: 1.30"));
    assert.throws(() => readStackFile("staging", dir), /lockstep:kubernetesVersion = 1\.3: written as a YAML number, which Pulumi reads as "1\.3"; quote it/);
  });

  it("refuses an empty, non-YAML or non-map stack file, naming it", () => {
    assert.throws(() => readStackFile("staging", withStack("")), /Pulumi\.staging\.yaml: the file is empty/);
    assert.throws(() => readStackFile("staging", withStack("config: [\n")), /Pulumi\.staging\.yaml: not valid YAML/);
    assert.throws(() => readStackFile("staging", withStack("- a\n- b\n")), /Pulumi\.staging\.yaml: must be a YAML map with a config: key/);
  });

  it("never lets --set reach the prototype chain", () => {
    for (const key of ["__proto__.polluted", "upgrade.__proto__.x", "constructor.prototype.y"]) {
      assert.throws(() => applySets({}, [`${key}=1`]), /is not a config field/);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("stack files as the Pulumi CLI reads them (Go's YAML takes plain timestamps, numbers and yes/no)", () => {
  const write = (text: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-yaml-"));
    fs.writeFileSync(path.join(dir, "Pulumi.acme.yaml"), text);
    return dir;
  };

  it("quotes every string it writes that a YAML 1.1 reader would take as something else", () => {
    const text = editStackConfig("Pulumi.acme.yaml", "config:\n  lockstep:release: 1.5.0\n", {
      promotion: { version: "1.5.1", setDigest: "sha256:ab", verifiedIn: "staging", verifiedAt: "2026-11-22T21:31:40Z" },
      kubernetesVersion: "1.30",
      chartValues: { identity: { flag: "yes", empty: "", plain: "s3://bucket/prefix/" } },
    });
    assert.match(text, /verifiedAt: "2026-11-22T21:31:40Z"/);
    assert.match(text, /lockstep:kubernetesVersion: "1\.30"/);
    assert.match(text, /flag: "yes"/);
    assert.match(text, /empty: ""/);
    assert.match(text, /plain: s3:\/\/bucket\/prefix\//, "an unambiguous string stays plain");
    assert.match(text, /verifiedIn: staging/);
  });

  it("reads back what it wrote, and the CLI's reading of it is the same text", () => {
    const dir = write(editStackConfig("Pulumi.acme.yaml", "config:\n  lockstep:release: 1.5.0\n", { promotion: { verifiedAt: "2026-11-22T21:31:40Z" } }));
    assert.deepEqual(readStackValues("acme", dir).promotion, { verifiedAt: "2026-11-22T21:31:40Z" });
  });

  it("refuses a plain timestamp, naming the key, what the CLI would read and how to quote it", () => {
    const dir = write("config:\n  lockstep:release: 1.5.0\n  lockstep:promotion:\n    verifiedAt: 2026-11-22T21:31:40Z\n");
    assert.throws(() => readStackFile("acme", dir), (err: Error) => err instanceof LockstepInputError
      && /Pulumi\.acme\.yaml: lockstep:promotion\.verifiedAt = 2026-11-22T21:31:40Z: written as a plain YAML timestamp, which the Pulumi CLI reads as "2026-11-22 21:31:40 \+0000 UTC"; quote it, like "2026-11-22T21:31:40Z"$/.test(err.message));
  });
});
