import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LockstepInputError } from "../../lib/core/errors";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SECRET_PLACEHOLDER } from "../../lib/security/secrets";
import {
  applySets,
  editStackConfig,
  parseSetValue,
  readStackFile,
  readStackValues,
  toPulumiConfig,
} from "../../lib/config/stackFile";
import { runStack } from "../../plan/plan";
import { PROJECT, refusal } from "../helpers";

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
    const out = applySets({ console: { blue: "1.5.0", live: "blue" }, smoke: { gatewayUrl: "https://x" } }, [
      "console.live=green",
      "upgrade.from=1.4.2",
      "smoke=null",
      "lockstep:ha=true",
    ]);
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
      "lockstep:release": "1.5.0",
      "lockstep:ha": "true",
      "lockstep:upgrade": '{"from":"1.4.2"}',
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

  it('reads quoted booleans and numbers as the program does (the CLI stores `ha: "false"`)', async () => {
    const dir = withStack(
      `${shipped}  lockstep:awaitRollouts: "false"\n`
        .replace("lockstep:ha: false", 'lockstep:ha: "true"')
        .replace("expectedStatus: 409", 'expectedStatus: "409"'),
    );
    const { inputs } = await runStack({ stack: "staging", projectDir: dir });
    assert.equal(inputs.config.ha, true);
    assert.equal(inputs.config.awaitRollouts, false);
    assert.equal(inputs.config.smoke?.expectedStatus, 409);
    const { inputs: viaSet } = await runStack({
      stack: "staging",
      projectDir: dir,
      deployed: "1.5.0",
      sets: ['upgrade.gatewayCanaryPercent="10"'],
    });
    assert.equal(viaSet.config.upgrade?.gatewayCanaryPercent, 10);
  });

  it("treats an encrypted value as a secret: allowed in chartValues and passed on secret, refused elsewhere naming the key", async () => {
    const secure = "secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB";
    const file = readStackFile(
      "staging",
      withStack(`${shipped}  lockstep:chartValues:\n    identity:\n      adminPassword:\n        ${secure}\n`),
    );
    assert.deepEqual(file.secretKeys, ["chartValues"]);
    assert.deepEqual(file.values.chartValues, { identity: { adminPassword: SECRET_PLACEHOLDER } });
    const { inputs, run } = await runStack({ stack: "staging", projectDir: path.dirname(file.file) });
    assert.deepEqual(inputs.config.secretKeys, ["chartValues"]);
    const keycloak = run.resources.find((r) => r.name === "keycloak");
    assert.deepEqual(keycloak?.secretProps, ["values"], "the merged values go to Helm as a secret");
    assert.equal((keycloak?.props.values as { adminPassword?: string }).adminPassword, SECRET_PLACEHOLDER);
    const elsewhere = withStack(shipped.replace("gatewayName: platform-gateway", `gatewayName:\n      ${secure}`));
    await assert.rejects(
      runStack({ stack: "staging", projectDir: elsewhere }),
      /lockstep:route = \[secret\]: is stored as a secret, but lockstep reads this value itself; only chartValues may hold secrets/,
    );
  });

  it("refuses an unquoted YAML number for a version key, since Pulumi reads 1.30 as 1.3", () => {
    const dir = withStack(shipped.replace('lockstep:kubernetesVersion: "1.31"', "lockstep:kubernetesVersion: 1.30"));
    assert.throws(
      () => readStackFile("staging", dir),
      // What was written is quoted back, not the number YAML made of it.
      /lockstep:kubernetesVersion = 1\.30: written as a YAML number, which Pulumi reads as "1\.3"; quote it, like lockstep:kubernetesVersion: "1\.30"$/,
    );
  });

  it("refuses an empty, non-YAML or non-map stack file, naming it", () => {
    assert.throws(() => readStackFile("staging", withStack("")), /Pulumi\.staging\.yaml: the file is empty/);
    assert.throws(() => readStackFile("staging", withStack("config: [\n")), /Pulumi\.staging\.yaml: not valid YAML/);
    assert.throws(
      () => readStackFile("staging", withStack("- a\n- b\n")),
      /Pulumi\.staging\.yaml: must be a YAML map with a config: key/,
    );
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
      promotion: {
        version: "1.5.1",
        setDigest: "sha256:ab",
        verifiedIn: "staging",
        verifiedAt: "2026-11-22T21:31:40Z",
      },
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
    const dir = write(
      editStackConfig("Pulumi.acme.yaml", "config:\n  lockstep:release: 1.5.0\n", {
        promotion: { verifiedAt: "2026-11-22T21:31:40Z" },
      }),
    );
    assert.deepEqual(readStackValues("acme", dir).promotion, { verifiedAt: "2026-11-22T21:31:40Z" });
  });

  it("refuses a plain timestamp, naming the key, what the CLI would read and how to quote it", () => {
    const dir = write(
      "config:\n  lockstep:release: 1.5.0\n  lockstep:promotion:\n    verifiedAt: 2026-11-22T21:31:40Z\n",
    );
    assert.throws(
      () => readStackFile("acme", dir),
      (err: Error) =>
        err instanceof LockstepInputError &&
        /Pulumi\.acme\.yaml: lockstep:promotion\.verifiedAt = 2026-11-22T21:31:40Z: written as a plain YAML timestamp, which the Pulumi CLI reads as "2026-11-22 21:31:40 \+0000 UTC"; quote it, like "2026-11-22T21:31:40Z"$/.test(
          err.message,
        ),
    );
  });
});

describe("stack files at their edges", () => {
  const dirWith = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-stackedge-"));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  };
  it("refuses a stack name with other characters before looking for the file", () => {
    assert.equal(
      refusal(() => readStackFile("a b", dirWith({}))),
      `--stack "a b": a stack name has letters, digits, '-', '_' and '.' only`,
    );
    assert.equal(
      refusal(() => readStackFile("../prod")),
      `--stack "../prod": a stack name has letters, digits, '-', '_' and '.' only`,
    );
  });

  it("lists as known stacks only files named exactly Pulumi.<stack>.yaml, or says none", () => {
    const dir = dirWith({
      "Pulumi.yaml": "name: x\n",
      "Pulumi.qa.yaml": "config: {}\n",
      "Pulumi.dev.yaml": "config: {}\n",
      "Pulumi.zeta.yaml": "",
      "Pulumi.alpha.yaml": "",
      "Pulumi.mid.yaml": "",
      "xPulumi.eu.yaml": "",
      "Pulumi.us.yaml.bak": "",
      "README.md": "",
    });
    assert.equal(
      refusal(() => readStackFile("prod", dir)),
      `--stack prod: no Pulumi.prod.yaml in ${dir}; known stacks: alpha, dev, mid, qa, zeta`,
    );
    const empty = dirWith({ "Pulumi.yaml": "name: x\n" });
    assert.equal(
      refusal(() => readStackFile("prod", empty)),
      `--stack prod: no Pulumi.prod.yaml in ${empty}; known stacks: none`,
    );
  });

  it("refuses a key or field that would set a prototype, at any depth, naming the file and the path", () => {
    for (const [yaml, named] of [
      ["config:\n  lockstep:__proto__:\n    cluster:\n      kubeconfig: /tmp/evil\n", "lockstep:__proto__"],
      ["config:\n  lockstep:backup:\n    constructor: {x: 1}\n", "lockstep:backup.constructor"],
      [
        "config:\n  lockstep:chartValues:\n    identity: [{prototype: 1}]\n",
        "lockstep:chartValues.identity.0.prototype",
      ],
    ]) {
      const dir = dirWith({ "Pulumi.qa.yaml": yaml });
      assert.throws(
        () => readStackFile("qa", dir),
        (err: Error) =>
          err.message.startsWith(`${path.join(dir, "Pulumi.qa.yaml")}: ${named}: `) &&
          /is not a config key or field \(it would set an object's prototype\); remove it$/.test(err.message),
      );
    }
  });

  it("refuses a stack file that is a directory, a scalar, or has a config that is not a map", () => {
    const dir = dirWith({});
    fs.mkdirSync(path.join(dir, "Pulumi.qa.yaml"));
    assert.equal(
      refusal(() => readStackFile("qa", dir)),
      `${path.join(dir, "Pulumi.qa.yaml")}: not a file`,
    );
    const scalar = dirWith({ "Pulumi.qa.yaml": "just text\n" });
    assert.equal(
      refusal(() => readStackFile("qa", scalar)),
      `${path.join(scalar, "Pulumi.qa.yaml")}: must be a YAML map with a config: key, not "just text"`,
    );
    for (const config of ["5", "text", "[a, b]"]) {
      const d = dirWith({ "Pulumi.qa.yaml": `config: ${config}\n` });
      assert.equal(
        refusal(() => readStackFile("qa", d)),
        `${path.join(d, "Pulumi.qa.yaml")}: field config must be a map of keys to values`,
        config,
      );
    }
    const none = dirWith({ "Pulumi.qa.yaml": "config:\n" });
    assert.deepEqual({ ...readStackFile("qa", none).values }, {}, "an empty config: is no config");
  });

  it("gives only the first line of a YAML error", () => {
    const message = refusal(() => readStackFile("qa", dirWith({ "Pulumi.qa.yaml": "config:\n  a: [1,\n  b: }\n" })));
    assert.match(message, /Pulumi\.qa\.yaml: not valid YAML: [^\n]{12,}$/);
    const edited = refusal(() =>
      editStackConfig("Pulumi.qa.yaml", "config:\n  a: [1,\n  b: }\n", { release: "1.5.0" }),
    );
    assert.match(edited, /^Pulumi\.qa\.yaml: not valid YAML: [^\n]{12,}$/);
  });

  it("reads only lockstep: keys, and lets a number through for a key that is not a string", () => {
    const text =
      'config:\n  aws:region: us-east-1\n  kubernetes:context: kind\n  lockstep:ha: 1\n  lockstep:release: "1.5.0"\n';
    const dir = dirWith({ "Pulumi.qa.yaml": text });
    // The text as read comes along: a command edits exactly what it planned.
    const read = readStackFile("qa", dir);
    assert.deepEqual(
      { ...read, values: { ...read.values } },
      {
        file: path.join(dir, "Pulumi.qa.yaml"),
        values: { ha: 1, release: "1.5.0" },
        secretKeys: [],
        text,
      },
    );
    assert.equal(Object.getPrototypeOf(read.values), null, "values sit on a null prototype");
  });

  it("marks a key secret when any item of a list inside it is encrypted", () => {
    const dir = dirWith({
      "Pulumi.qa.yaml":
        "config:\n  lockstep:chartValues:\n    identity:\n      extra: [plain, {secure: v1:abc}]\n  lockstep:route:\n    hostnames: [a.example]\n",
    });
    const file = readStackFile("qa", dir);
    assert.deepEqual(file.secretKeys, ["chartValues"]);
    assert.deepEqual(file.values.chartValues, { identity: { extra: ["plain", SECRET_PLACEHOLDER] } });
  });

  it("refuses a plain timestamp inside a list or with fractional seconds, and ignores one under another provider's key", () => {
    const inList = dirWith({
      "Pulumi.qa.yaml": "config:\n  lockstep:chartValues:\n    identity:\n      at: [2026-11-22T10:00:00Z]\n",
    });
    assert.match(
      refusal(() => readStackFile("qa", inList)),
      /: lockstep:chartValues\.identity\.at\.0 = /,
    );
    const fraction = dirWith({
      "Pulumi.qa.yaml": "config:\n  lockstep:promotion:\n    verifiedAt: 2026-11-22T21:31:40.5Z\n",
    });
    assert.match(
      refusal(() => readStackFile("qa", fraction)),
      /which the Pulumi CLI reads as "2026-11-22 21:31:40\.500 \+0000 UTC"/,
    );
    const other = dirWith({
      "Pulumi.qa.yaml": 'config:\n  aws:expires: 2026-11-22T10:00:00Z\n  lockstep:release: "1.5.0"\n',
    });
    assert.deepEqual({ ...readStackFile("qa", other).values }, { release: "1.5.0" });
  });

  it("keeps a string key's --set value as text, and parses JSON below a string key's name", () => {
    assert.equal(parseSetValue(["release"], "2"), "2");
    assert.equal(parseSetValue(["release"], "true"), "true");
    assert.equal(parseSetValue(["release", "x"], "true"), true);
    assert.equal(parseSetValue(["ha"], "1"), 1);
  });

  it("refuses an assignment with no key, creates an object where a null stood, and names the field a scalar cannot hold", () => {
    assert.equal(
      refusal(() => applySets({}, ["=1"])),
      `--set "=1": expected key=value, like upgrade.from=1.4.2`,
    );
    assert.deepEqual(applySets({ smoke: null }, ["smoke.gatewayUrl=https://gw"]), {
      smoke: { gatewayUrl: "https://gw" },
    });
    assert.equal(
      refusal(() => applySets({ release: "1.5.0" }, ["release.pin.x=1"])),
      `--set release.pin.x: release is "1.5.0", not an object, so it has no field x`,
    );
  });
});
