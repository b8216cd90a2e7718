/**
 * A second round of hostile input, by family: secrets in every kind of refusal, keys that reach a
 * prototype, times later than now, files that are missing or are folders, gates switched off, and the
 * small things a terminal shows. Every case is held to the same four rules: the exit code says refused,
 * no stack trace is printed, no secret appears on either stream (text or --json), and no file of the
 * project changes.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { env, lockstep, snapshot, tempProject } from "../cliKit";

const TOKEN = "Zq81xWv2Lm0PnT7kRb44";
const JWT = `eyJ${"a".repeat(12)}.${"b".repeat(12)}.${"c".repeat(12)}`;

interface Probe {
  family: string;
  what: string;
  args: string[];
  /** Prepares the project before the snapshot. */
  setup?: (dir: string) => void;
  /** Must not appear anywhere in what is printed. @default none */
  secret?: string;
  /** @default 2 */
  code?: number;
  /** What the refusal must say. */
  says: RegExp;
}

const stackFile = (dir: string, stack: string) => path.join(dir, `Pulumi.${stack}.yaml`);
const append = (stack: string, text: string) => (dir: string) => fs.appendFileSync(stackFile(dir, stack), text);
const plan = (...sets: string[]) => ["plan", "--stack", "staging", ...sets.flatMap((s) => ["--set", s])];

const PROBES: Probe[] = [
  // Secrets, on the check that refuses them first.
  {
    family: "secret",
    what: "a JWT as an unknown key",
    args: plan(`apiToken=${JWT}`),
    secret: JWT,
    says: /lockstep:apiToken = \(not shown\)/,
  },
  {
    family: "secret",
    what: "a token as a boolean",
    args: plan(`awaitRollouts=${TOKEN}`),
    secret: TOKEN,
    says: /lockstep:awaitRollouts = \[secret\]/,
  },
  {
    family: "secret",
    what: "a token as a namespace",
    args: plan(`namespace=${TOKEN}`),
    secret: TOKEN,
    says: /lockstep:namespace = \[secret\]/,
  },
  {
    family: "secret",
    what: "a token under a misspelled field",
    args: plan(`smoke.tokenn=${TOKEN}`),
    secret: TOKEN,
    says: /lockstep:smoke\.tokenn = \(not shown\): unknown field/,
  },
  {
    family: "secret",
    what: "a URL with a password as the object store",
    args: plan("backup.endpointURL=https://admin:hunter2x@s3.internal"),
    secret: "hunter2x",
    says: /lockstep:backup\.endpointURL = \[secret\]/,
  },
  {
    family: "secret",
    what: "a private key in chart values",
    args: plan('chartValues.openbao.server.tls={"key":"-----BEGIN RSA PRIVATE KEY-----abc"}'),
    secret: "BEGIN RSA PRIVATE KEY",
    says: /looks like a plaintext secret/,
  },
  {
    family: "secret",
    what: "a numeric client secret in chart values",
    args: plan("chartValues.identity.clientSecret=987654321"),
    secret: "987654321",
    says: /lockstep:chartValues\.identity\.clientSecret = \[secret\]: looks like a plaintext secret/,
  },
  {
    family: "secret",
    what: "a secret env pair among others",
    args: plan('chartValues.identity.extraEnv=[{"name":"MODE","value":"x"},{"name":"API_KEY","value":"k-77aa"}]'),
    secret: "k-77aa",
    says: /extraEnv\.1\.value = \[secret\]/,
  },
  {
    family: "secret",
    what: "a token in the stack file, not in --set",
    setup: append("staging", `  lockstep:dbPassword: ${TOKEN}\n`),
    args: ["plan", "--stack", "staging"],
    secret: TOKEN,
    says: /lockstep:dbPassword = \(not shown\): unknown key/,
  },
  // Keys that reach a prototype.
  {
    family: "prototype",
    what: "constructor under a known key",
    setup: append("staging", "  lockstep:upgrade:\n    constructor:\n      x: 1\n"),
    args: ["plan", "--stack", "staging"],
    says: /lockstep:upgrade\.constructor: "constructor" is not a config key or field/,
  },
  {
    family: "prototype",
    what: "__proto__ in a stack file read by preflight",
    setup: append("prod", "  lockstep:__proto__:\n    environment: staging\n"),
    args: ["preflight", "--stack", "prod", "--skip-plan"],
    says: /lockstep:__proto__: "__proto__" is not a config key/,
  },
  { family: "prototype", what: "__proto__ through --set", args: plan("__proto__.ha=true"), says: /__proto__/ },
  // Times later than now (the fake clock says 2026-11-21T12:00:00Z).
  {
    family: "future",
    what: "a restore to a minute from now",
    args: ["restore", "--stack", "staging", "--name", "f1", "--target-time", "2026-11-21T12:01:00Z"],
    says: /--target-time 2026-11-21T12:01:00Z: later than now/,
  },
  // Files that are missing or are folders.
  {
    family: "files",
    what: "a kubeconfig that is a folder",
    setup: append("staging", "  lockstep:cluster:\n    kubeconfig: releases\n"),
    args: ["preflight", "--stack", "staging", "--skip-plan"],
    code: 1,
    says: /cluster kubeconfig .*releases: not a file/,
  },
  {
    family: "files",
    what: "a record that is a folder",
    args: ["promote", "--record", "releases"],
    says: /--record .*releases: /,
  },
  {
    family: "files",
    what: "a deployed record that does not exist",
    args: ["plan", "--stack", "staging", "--deployed", "nowhere.json"],
    says: /--deployed "nowhere\.json": neither an exact version like 1\.5\.1 nor an existing record file/,
  },
  // Gates switched off where they protect production.
  {
    family: "gates",
    what: "prod-promoted-only disabled in its object form",
    setup: (d) =>
      fs.writeFileSync(
        path.join(d, "policy", "config", "prod.json"),
        '{"all":"mandatory","prod-promoted-only":{"enforcementLevel":"disabled"}}',
      ),
    args: ["plan", "--stack", "prod"],
    says: /prod\.json: prod-promoted-only disables prod-promoted-only/,
  },
  {
    family: "gates",
    what: "database-backup disabled through all, with others re-enabled",
    setup: (d) =>
      fs.writeFileSync(
        path.join(d, "policy", "config", "prod.json"),
        '{"all":"disabled","prod-promoted-only":"mandatory","pre-upgrade-backup":"mandatory","canary-bounds":"mandatory"}',
      ),
    args: ["plan", "--stack", "prod"],
    says: /prod\.json: all disables database-backup, backup-snapshot-class, canary-analysis, the gates/,
  },
  // What a terminal shows.
  {
    family: "terminal",
    what: "an escape sequence in a value",
    args: plan("namespace=a\u001b[2Jb"),
    says: /lockstep:namespace = "a\\u001b\[2Jb"/,
  },
  {
    family: "terminal",
    what: "a negative count written apart",
    args: ["fleet", "upgrade", "--to", "1.5.1", "--concurrency", "-2"],
    says: /--concurrency/,
  },
];

describe("a second round of hostile input, by family", () => {
  it(`covers six families (${new Set(PROBES.map((p) => p.family)).size}) in ${PROBES.length} cases`, () =>
    assert.ok(new Set(PROBES.map((p) => p.family)).size >= 6 && PROBES.length >= 20));
  for (const p of PROBES) {
    it(`${p.family}: ${p.what}`, async () => {
      const dir = tempProject();
      p.setup?.(dir);
      const before = snapshot(dir);
      for (const json of [false, true]) {
        const r = await lockstep(
          env(dir, { now: "2026-11-21T12:00:00Z" }),
          ...p.args.map((a) => (a === "releases" ? path.join(dir, "releases") : a)),
          ...(json ? ["--json"] : []),
        );
        const printed = r.stdout + r.stderr;
        assert.equal(r.code, p.code ?? 2, printed);
        assert.doesNotMatch(printed, /^\s+at .+:\d+:\d+\)?$/m, "no stack trace");
        if (p.secret) assert.ok(!printed.includes(p.secret), `the secret was printed:\n${printed}`);
        if (!json) assert.match(printed, p.says);
      }
      assert.deepEqual(snapshot(dir), before, "nothing written");
    });
  }
});
