import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
  CONFIG_KEYS,
  CONFIG_PREFIX,
  ConfigKey,
  decodeConfigValue,
  defaultOf,
  isRequiredKey,
  kindOf,
  lockstepKeys,
  parseStackConfig,
} from "../../lib/config/config";
import { deployedAt } from "../../lib/state/deployed";
import { LockstepInputError } from "../../lib/core/errors";
import { prepareInputs } from "../../lib/config/inputs";
import { PROJECT } from "../helpers";
import { plan } from "../../plan/plan";
import { runProgram } from "../../plan/runtime";
import { applySets, readStackValues, toPulumiConfig } from "../../lib/config/stackFile";

/** [--set overrides, what the one error must say] — each names key, value and what is allowed. */
const BAD: [string[], RegExp][] = [
  [
    ["release=9.9.9"],
    /^lockstep:release = "9\.9\.9": not in the release catalog; available versions: 1\.3\.4, 1\.4\.2, 1\.5\.0, 1\.5\.1, 2\.0\.0$/,
  ],
  [["release=latest"], /^lockstep:release = "latest": must be an exact version x\.y\.z like/],
  [["environment=dev"], /^lockstep:environment = "dev": must be "staging" or "prod"$/],
  [["namespace=Bad_NS"], /^lockstep:namespace = "Bad_NS": must be a DNS-1123 label/],
  [["ha=yes"], /^lockstep:ha = "yes": must be true or false$/],
  [
    ["upgrade.from=1.9.0"],
    /^lockstep:upgrade\.from = "1\.9\.0": not in the release catalog; available versions: 1\.3\.4/,
  ],
  [
    ["upgrade.from=1.5.0", "upgrade.gatewayCanaryPercent=150"],
    /^lockstep:upgrade\.gatewayCanaryPercent = 150: must be a whole number from 0 to 100$/,
  ],
  [
    ["upgrade.from=1.5.0", "upgrade.gatewayCanaryPercent=12.5"],
    /^lockstep:upgrade\.gatewayCanaryPercent = 12\.5: must be a whole number from 0 to 100$/,
  ],
  [
    ["upgrade.from=1.5.0", "upgrade.canary=10"],
    /^lockstep:upgrade\.canary = \(not shown\): unknown field; allowed fields are from, gatewayCanaryPercent, mode$/,
  ],
  [["console.live=purple"], /^lockstep:console\.live = "purple": must be "blue" or "green"$/],
  [["console.blue=0.9.0"], /^lockstep:console\.blue = "0\.9\.0": not in the release catalog/],
  [
    ["backup=null"],
    /^lockstep:backup = \(unset\): is required \(an object with destinationPath, endpointURL, credentialsSecret, retentionPolicy, schedule, encryption, snapshotDir, method, volumeSnapshot\)$/,
  ],
  [
    ["backup.destinationPath=ftp://x"],
    /^lockstep:backup\.destinationPath = "ftp:\/\/x": must be an S3 URL like s3:\/\/bucket\/prefix\//,
  ],
  [
    ["backup.destinationPath=gs://aigw-backups/"],
    /^lockstep:backup\.destinationPath = "gs:\/\/aigw-backups\/": must be an S3 URL.*uploaded beside the database backups with the S3 API$/,
  ],
  [
    ["backup.retentionPolicy=30 days"],
    /^lockstep:backup\.retentionPolicy = "30 days": must be a CloudNativePG retention like 30d, 4w or 3m$/,
  ],
  [["backup.schedule=0 2 * * *"], /^lockstep:backup\.schedule = "0 2 \* \* \*": must be a six-field cron expression/],
  [["backup.encryption=none"], /^lockstep:backup\.encryption = "none": must be "AES256" or "aws:kms"$/],
  [["backup.credentialsSecret=Bad"], /^lockstep:backup\.credentialsSecret = "Bad": must be a DNS-1123 label/],
  [["backup.method=snapshot"], /^lockstep:backup\.method = "snapshot": must be "objectStore" or "volumeSnapshot"$/],
  [
    ["backup.method=volumeSnapshot", "backup.volumeSnapshot.className=CSI_Snap"],
    /^lockstep:backup\.volumeSnapshot\.className = "CSI_Snap": must be a VolumeSnapshotClass name/,
  ],
  [["backup.volumeSnapshot.online=sometimes"], /^lockstep:backup\.volumeSnapshot\.online = "sometimes": /],
  [["awaitRollouts=maybe"], /^lockstep:awaitRollouts = "maybe": must be true or false$/],
  [["smoke.gatewayUrl=not-a-url"], /^lockstep:smoke\.gatewayUrl = "not-a-url": must be an absolute URL$/],
  [["smoke.expectedStatus=42"], /^lockstep:smoke\.expectedStatus = 42: /],
  [["kubernetesVersion=latest"], /^lockstep:kubernetesVersion = "latest": must be a Kubernetes version like 1\.31/],
  [
    [
      "promotion.version=1.5.1",
      "promotion.setDigest=abc",
      "promotion.verifiedIn=staging",
      "promotion.verifiedAt=2026-11-20T00:00:00Z",
    ],
    /^lockstep:promotion\.setDigest = "abc": must be a set digest like sha256:<64 hex>$/,
  ],
  [
    ["chartValues.mystery={}"],
    /^lockstep:chartValues\.mystery = \(not shown\): unknown field; allowed fields are cnpgOperator, barmanCloudPlugin, identity, openbao, observability$/,
  ],
  [["route.gatewayName=UPPER"], /^lockstep:route\.gatewayName = "UPPER": must be a DNS-1123 label/],
  [
    ["bogus=1"],
    /^lockstep:bogus = \(not shown\): unknown key; the keys are release, environment, namespace, ha, upgrade, console, backup, awaitRollouts, smoke, kubernetesVersion, promotion, chartValues, chartSource, route, restore, rollback, restoreDrill, cluster, canary$/,
  ],
  [
    ["release=2.0.0", "console.blue=2.0.0", "console.green=2.0.0", "smoke=null"],
    /^lockstep:smoke = \(unset\): is required by release 2\.0\.0 \(see its release notes\)$/,
  ],
];

describe("stack config", () => {
  for (const [sets, message] of BAD) {
    it(`refuses ${sets.join(" ")} with one clear error before anything runs`, async () => {
      await assert.rejects(plan({ stack: "staging", sets }), (err: unknown) => {
        assert.ok(err instanceof LockstepInputError, `expected LockstepInputError, got ${String(err)}`);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it("under the real entry path, bad config registers nothing but the root stack", async () => {
    const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
    for (const sets of [
      ["release=9.9.9"],
      ["upgrade.from=1.5.0", "upgrade.gatewayCanaryPercent=150"],
      ["backup=null"],
    ]) {
      const values = applySets(readStackValues("staging"), sets);
      assert.throws(() => parseStackConfig(values, catalog), LockstepInputError);
      await assert.rejects(runProgram("staging", undefined, toPulumiConfig(values)), (err: unknown) => {
        assert.ok(err instanceof LockstepInputError);
        const registered = (err as unknown as { registrations: { type: string }[] }).registrations;
        assert.deepEqual(
          registered.map((r) => r.type),
          ["pulumi:pulumi:Stack"],
        );
        return true;
      });
    }
    // The plan swaps out the SDK's per-promise stack stamp only while the program runs, failed or not.
    const sdk = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: { name: string } };
    assert.equal(sdk.debuggablePromise.name, "debuggablePromise", "after a failed run the SDK's own function is back");
  });

  it("applies defaults once", () => {
    const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
    const base = readStackValues("staging");
    const config = parseStackConfig(
      { ...base, namespace: undefined, ha: undefined, awaitRollouts: undefined, console: undefined },
      catalog,
    );
    assert.equal(config.namespace, "lockstep");
    assert.equal(config.ha, false);
    assert.equal(config.awaitRollouts, true);
    assert.deepEqual(config.console, { blue: "1.5.1", green: "1.5.1", live: "blue" });
    assert.equal(config.backup.snapshotDir, "./backups");
    assert.equal(config.upgrade, undefined);
    assert.deepEqual(parseStackConfig({ ...base, upgrade: { gatewayCanaryPercent: 5 } }, catalog).upgrade, {
      gatewayCanaryPercent: 5,
      mode: "rolling",
    });
  });

  it("decodes raw Pulumi strings by the kind each key expects", () => {
    assert.equal(decodeConfigValue("kubernetesVersion", "1.30"), "1.30");
    assert.equal(decodeConfigValue("release", "1.5.0"), "1.5.0");
    assert.equal(decodeConfigValue("ha", "true"), true);
    assert.deepEqual(decodeConfigValue("upgrade", '{"from":"1.4.2"}'), { from: "1.4.2" });
  });
});

describe("Pulumi.yaml's config section", () => {
  const project = parse(fs.readFileSync(path.join(PROJECT, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config: Record<string, { type?: string; description?: string; default?: unknown }>;
  };

  it("declares exactly the keys the real CLI may require: required ones, and ones with a default", () => {
    assert.equal(project.name, CONFIG_PREFIX, "the project name is the config namespace");
    // The CLI refuses a stack that lacks a declared key without a default, so an optional key must not be declared.
    const expected = CONFIG_KEYS.filter((key) => isRequiredKey(key) || defaultOf(key) !== undefined);
    assert.deepEqual(Object.keys(project.config).sort(), [...expected].sort());
    assert.ok(!("upgrade" in project.config) && !("promotion" in project.config), "optional keys stay undeclared");
  });

  it("gives each declared key the type, description and default the zod schema has", () => {
    for (const [key, declared] of Object.entries(project.config)) {
      assert.equal(declared.type, kindOf(key), `${key} type`);
      assert.ok((declared.description ?? "").length > 20, `${key} has a description`);
      assert.equal(
        "default" in declared,
        !isRequiredKey(key as ConfigKey),
        `${key}: declared with a default exactly when the schema has one`,
      );
      if ("default" in declared) assert.deepEqual(declared.default, defaultOf(key as ConfigKey), `${key} default`);
    }
  });
});

describe("parseStackConfig, directly", () => {
  const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
  const base = readStackValues("staging");
  const refusal = (values: Record<string, unknown>, options = {}): string => {
    try {
      parseStackConfig(values, catalog, options);
    } catch (err) {
      assert.ok(err instanceof LockstepInputError, String(err));
      return err.message;
    }
    assert.fail("expected a LockstepInputError");
  };

  it("keeps only lockstep: keys from the CLI's config, decoded by kind", () => {
    assert.deepEqual(
      lockstepKeys({
        "aws:region": "eu-west-1",
        "lockstep:ha": "true",
        "lockstepx:ha": "false",
        "lockstep:release": "1.5.0",
      }),
      { ha: true, release: "1.5.0" },
    );
  });

  it("names the file the values came from, and lists several problems one per line", () => {
    assert.equal(
      refusal({ ...base, bogus: 1 }, { source: "Pulumi.qa.yaml" }).split(";")[0],
      "Pulumi.qa.yaml: lockstep:bogus = (not shown): unknown key",
    );
    const several = refusal({ ...base, release: "9.9.9", console: { blue: "9.9.8", green: "1.5.1", live: "blue" } });
    assert.deepEqual(
      several.split("\n").map((l) => l.split(":").slice(0, 2).join(":")),
      ["2 invalid config values:", '  lockstep:release = "9.9.9"', '  lockstep:console.blue = "9.9.8"'],
    );
  });

  it("names console.green and rollback.from when their versions are not in the catalog", () => {
    assert.match(
      refusal({ ...base, console: { blue: "1.5.1", green: "1.5.7", live: "blue" } }),
      /^lockstep:console\.green = "1\.5\.7": not in the release catalog; available versions: /,
    );
    assert.match(
      refusal({ ...base, rollback: { from: "1.5.7", mode: "restore" } }),
      /^lockstep:rollback\.from = "1\.5\.7": not in the release catalog/,
    );
  });

  it("refuses a canary beside a rollback", () => {
    assert.equal(
      refusal({
        ...base,
        release: "1.5.0",
        console: { blue: "1.5.0", green: "1.5.0", live: "blue" },
        rollback: { from: "1.5.1", mode: "restore" },
        upgrade: { gatewayCanaryPercent: 10 },
      }),
      "lockstep:upgrade.gatewayCanaryPercent = 10: a rollback runs no canary (lockstep:rollback is set): the previous set was already known good; remove it",
    );
  });

  it("names the charts chartValues may set, and never shows what sits under an unknown one", () => {
    assert.equal(
      refusal({ ...base, chartValues: { bogus: { rootToken: "s.abc" } } }),
      "lockstep:chartValues.bogus = (not shown): unknown field; allowed fields are cnpgOperator, barmanCloudPlugin, identity, openbao, observability",
    );
  });

  it("refuses a key stored as a secret that lockstep must read itself, and names the keys that may be", () => {
    assert.equal(
      refusal(base, { secretKeys: ["release"] }),
      "lockstep:release = [secret]: is stored as a secret, but lockstep reads this value itself; only chartValues may hold secrets (set it without --secret)",
    );
  });

  it("says what a missing required key must be: a string, or an object with its fields", () => {
    const { release: _r, ...noRelease } = base;
    assert.equal(refusal(noRelease), "lockstep:release = (unset): is required (a string)");
    const { backup: _b, ...noBackup } = base;
    assert.match(refusal(noBackup), /^lockstep:backup = \(unset\): is required \(an object with destinationPath, /);
  });

  it("takes a chart source that is a directory or an oci:// path, and nothing else with a scheme", () => {
    for (const ok of [
      "./charts",
      "/srv/charts",
      "1abc://x",
      "oci://registry.example/charts",
      "oci://registry.example",
      "oci://r/a/b",
    ]) {
      assert.equal(parseStackConfig({ ...base, chartSource: ok }, catalog).chartSource, ok, ok);
    }
    for (const bad of [
      "https://charts.example",
      "HTTP://charts.example",
      "s3://bucket/charts",
      "oci://",
      "oci:///charts",
      "oci://host/a b",
      "oci://a b",
      "xoci://host",
    ]) {
      assert.match(
        refusal({ ...base, chartSource: bad }),
        /^lockstep:chartSource = .*: must be a directory path or an oci:\/\/<registry>\/<path> URL/,
        bad,
      );
    }
  });

  it("checks chart values for plaintext credentials by field name unless the key is stored secret, and every key by value", () => {
    const chartValues = { identity: { auth: { adminPassword: "hunter2" } } };
    assert.match(
      refusal({ ...base, chartValues }),
      /^lockstep:chartValues\.identity\.auth\.adminPassword = \[secret\]: looks like a plaintext secret; store it encrypted: pulumi config set --secret --path lockstep:chartValues\.identity\.auth\.adminPassword <value>$/,
    );
    assert.deepEqual(
      parseStackConfig({ ...base, chartValues }, catalog, { secretKeys: ["chartValues"] }).chartValues.identity,
      chartValues.identity,
    );
    assert.equal(
      parseStackConfig({ ...base, smoke: { ...(base.smoke as object), blockedPrompt: "reveal the password" } }, catalog)
        .smoke?.blockedPrompt,
      "reveal the password",
      "outside chartValues a field's name says nothing",
    );
    assert.match(
      refusal({ ...base, smoke: { ...(base.smoke as object), blockedPrompt: "sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaa" } }),
      /^lockstep:smoke\.blockedPrompt = \[secret\]: looks like a plaintext secret; .* \(only chartValues may hold secrets\)$/,
    );
  });

  it("decides the upgrade window from the deployed state, unless told to defer it", () => {
    const options = { projectDir: PROJECT, deployed: deployedAt("1.5.0", catalog) };
    assert.deepEqual(prepareInputs(base, catalog, options).window, {
      from: "1.5.0",
      to: "1.5.1",
      mode: "rolling",
      gatewayCanaryPercent: undefined,
    });
    assert.equal(prepareInputs(base, catalog, { ...options, deferWindow: true }).window, undefined);
  });
});
