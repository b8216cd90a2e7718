/**
 * No secret is ever echoed: a refused input names its key and what is allowed, but a value whose key
 * looks secret, a value that looks like a credential, and the value of a key lockstep does not know are
 * never printed, in text or in --json, on whichever check refuses it first.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { redact } from "../../lib/core/redact";
import { showValue } from "../../lib/core/errors";
import { plaintextSecrets } from "../../lib/security/secrets";
import { env, lockstep, tempProject } from "../cliKit";

const TOKEN = "Sup3rS3cr3t-TOKEN-4471";
const API_KEY = `sk-${"A1b2C3d4".repeat(4)}`;

/** The plan refuses (exit 2) and neither stream, in text or JSON, holds the secret. */
async function refusedWithout(secret: string, ...sets: string[]) {
  const dir = tempProject();
  const args = sets.flatMap((s) => ["--set", s]);
  for (const json of [false, true]) {
    const r = await lockstep(env(dir), "plan", "--stack", "staging", ...args, ...(json ? ["--json"] : []));
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(secret), `the secret was printed: ${r.stdout}${r.stderr}`);
  }
  return (await lockstep(env(dir), "plan", "--stack", "staging", ...args)).stderr;
}

describe("what a refusal prints", () => {
  it("an unknown key: named, with the keys there are, its value not shown", async () => {
    const said = await refusedWithout(TOKEN, `dbPassword=${TOKEN}`);
    assert.match(said, /lockstep:dbPassword = \(not shown\): unknown key/);
  });

  it("a value of the wrong type that looks like a credential", async () => {
    const said = await refusedWithout(API_KEY, `ha=${API_KEY}`);
    assert.match(said, /lockstep:ha = \[secret\]: /);
  });

  it("an unknown field under a known key, named like a secret or not", async () => {
    const said = await refusedWithout(TOKEN, `backup.password=${TOKEN}`);
    assert.match(said, /lockstep:backup\.password = \(not shown\): unknown field/);
    await refusedWithout(TOKEN, `backup.note=${TOKEN}`);
  });

  it("a destination with credentials in it and a scheme that is not allowed", async () => {
    const said = await refusedWithout("pw4471", "backup.destinationPath=ftp://user:pw4471@backups.example/x/");
    assert.match(said, /lockstep:backup\.destinationPath = \[secret\]: /);
  });

  it("a plaintext credential in an env-var list or as a number is refused, and not printed", async () => {
    const env = JSON.stringify([{ name: "KC_DB_PASSWORD", value: TOKEN }]);
    const said = await refusedWithout(TOKEN, `chartValues.identity.extraEnv=${env}`);
    assert.match(
      said,
      /lockstep:chartValues\.identity\.extraEnv\.0\.value = \[secret\]: looks like a plaintext secret/,
    );
    const digits = await refusedWithout("48213377", "chartValues.identity.auth.adminPassword=48213377");
    assert.match(
      digits,
      /lockstep:chartValues\.identity\.auth\.adminPassword = \[secret\]: looks like a plaintext secret/,
    );
  });

  it("a token where a time belongs, in the stack config or in a verification record", async () => {
    const dir = tempProject();
    const r = await lockstep(env(dir), "plan", "--stack", "prod", "--set", `promotion.verifiedAt=${TOKEN}`);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(!r.stderr.includes(TOKEN), r.stderr);
    assert.match(r.stderr, /lockstep:promotion\.verifiedAt = \[secret\]: /);
  });

  it("a verification record whose field holds a token", async () => {
    const dir = tempProject();
    const file = path.join(dir, "record.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ version: "1.5.1", setDigest: API_KEY, verifiedIn: "staging", verifiedAt: API_KEY }),
    );
    for (const json of [[], ["--json"]]) {
      const r = await lockstep(env(dir), "promote", "--record", file, "--dry-run", ...json);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(API_KEY), r.stdout + r.stderr);
    }
  });
});

describe("redact and showValue", () => {
  it("redact the value under a secret's name whole, credentials anywhere, and a secret pair's value", () => {
    assert.equal(redact(48213377, ["auth", "adminPassword"]), "[secret]");
    assert.deepEqual(redact({ url: "https://u:p@h/", keep: "x" }), { url: "[secret]", keep: "x" });
    assert.deepEqual(
      redact([
        { name: "API_TOKEN", value: "abc" },
        { name: "MODE", value: "on" },
      ]),
      [
        { name: "API_TOKEN", value: "[secret]" },
        { name: "MODE", value: "on" },
      ],
    );
    assert.equal(showValue(TOKEN, ["chartValues", "openbao", "rootToken"]), "[secret]");
  });

  it("redact a secret's name at any depth, and leave an unset one unset", () => {
    assert.deepEqual(redact({ auth: { adminPassword: "hunter2" }, mode: "on" }), {
      auth: { adminPassword: "[secret]" },
      mode: "on",
    });
    assert.deepEqual(redact([{ apiKey: "plain" }]), [{ apiKey: "[secret]" }], "inside a list too");
    assert.equal(redact(undefined, ["password"]), undefined, "nothing was set, so nothing is hidden");
    assert.equal(redact(null, ["password"]), null);
  });

  it("keep what names where a credential is kept, so its message stays useful", () => {
    assert.equal(showValue("backup-s3", ["backup", "credentialsSecret"]), '"backup-s3"');
    assert.equal(showValue("LOCKSTEP_SMOKE_TOKEN", ["smoke", "tokenEnv"]), '"LOCKSTEP_SMOKE_TOKEN"');
    assert.equal(showValue(1.3, ["release"]), "1.3");
    assert.equal(showValue("sha256:0123abcdef", ["setDigest"]), '"sha256:0123abcdef"');
    assert.equal(showValue("platform-db-rb-1-5-0-1122"), '"platform-db-rb-1-5-0-1122"');
  });

  it("finds numbers and env-var pairs as plaintext secrets in free-form values only", () => {
    assert.deepEqual(plaintextSecrets({ auth: { adminPassword: 48213377 } }, true), [["auth", "adminPassword"]]);
    assert.deepEqual(plaintextSecrets({ auth: { adminPassword: 48213377 } }, false), []);
    assert.deepEqual(plaintextSecrets({ extraEnv: [{ name: "KC_DB_PASSWORD", value: "x" }] }, true), [
      ["extraEnv", "0", "value"],
    ]);
    assert.deepEqual(
      plaintextSecrets({ extraEnv: [{ name: "KC_DB_PASSWORD", valueFrom: { secretKeyRef: {} } }] }, true),
      [],
    );
  });
});
