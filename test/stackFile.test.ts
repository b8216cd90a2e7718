import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LockstepInputError } from "../lib/errors";
import { applySets, parseSetValue, readStackValues, toPulumiConfig } from "../lib/stackFile";

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
