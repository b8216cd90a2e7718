import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  canonicalJson,
  DEFAULT_CATALOG_DIR,
  diffSets,
  getRelease,
  loadCatalog,
  parseReleaseFile,
  setDigest,
} from "../../lib/release/catalog";
import { LockstepInputError } from "../../lib/core/errors";

const good = fs.readFileSync(path.join(DEFAULT_CATALOG_DIR, "1.5.0.yaml"), "utf8");

function refuses(file: string, text: string, pattern: RegExp) {
  assert.throws(
    () => parseReleaseFile(file, text),
    (err: unknown) => {
      assert.ok(err instanceof LockstepInputError, `expected LockstepInputError, got ${String(err)}`);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe("release catalog", () => {
  it("parses a release file again when its text changes, and shares frozen releases while it does not", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-catalog-"));
    fs.writeFileSync(path.join(dir, "1.5.0.yaml"), good);
    const first = getRelease(loadCatalog(dir), "1.5.0");
    assert.equal(getRelease(loadCatalog(dir), "1.5.0"), first, "unchanged text: the same parsed release");
    assert.ok(Object.isFrozen(first.postgres), "a shared release cannot be changed by one of its readers");
    const edited = good.replace("postgresql:16.6@", "postgresql:16.9@");
    assert.notEqual(edited, good);
    fs.writeFileSync(path.join(dir, "1.5.0.yaml"), edited);
    assert.match(getRelease(loadCatalog(dir), "1.5.0").postgres.image, /postgresql:16\.9@/);
    fs.rmSync(dir, { recursive: true });
  });

  it("refuses a PostgreSQL major that disagrees with its image's tag, naming the file, the field and both", () => {
    refuses(
      "1.5.0.yaml",
      good.replace("major: 16", "major: 17"),
      /1\.5\.0\.yaml.*postgres\.major.*is 17, but the image ghcr\.io\/cloudnative-pg\/postgresql:16\.6 is PostgreSQL 16/,
    );
    assert.equal(parseReleaseFile("1.5.0.yaml", good).postgres.major, 16, "the shipped pair agrees");
    // A digest alone names no major: nothing to compare.
    const untagged = good.replace(/postgresql:16\.6@/, "postgresql@");
    assert.equal(parseReleaseFile("1.5.0.yaml", untagged.replace("major: 16", "major: 17")).postgres.major, 17);
  });

  it("loads the shipped releases oldest first, enough to exercise every rule", () => {
    const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
    assert.deepEqual(catalog.versions, ["1.3.4", "1.4.2", "1.5.0", "1.5.1", "2.0.0"]);
    const r = getRelease(catalog, "1.5.0");
    assert.equal(r.charts.cnpgOperator.version, "0.29.0");
    assert.equal(r.charts.cnpgOperator.appVersion, "1.30.0");
    assert.equal(r.charts.barmanCloudPlugin.version, "0.7.0");
    assert.equal(r.charts.barmanCloudPlugin.appVersion, "v0.13.0");
    assert.match(r.postgres.image, /@sha256:[a-f0-9]{64}$/);
  });

  it("refuses a tag-only image, naming the file and the field", () => {
    refuses(
      "releases/1.5.0.yaml",
      good.replace(/(  api:\n    version: 1\.5\.0\n    image: )\S+/, "$1registry.lockstep.example/aigw/api:1.5.0"),
      /releases\/1\.5\.0\.yaml: field components\.api\.image = "registry\.lockstep\.example\/aigw\/api:1\.5\.0": must be an image pinned by digest/,
    );
  });

  it("refuses a filename that disagrees with the version inside", () => {
    refuses(
      "releases/1.5.9.yaml",
      good,
      /1\.5\.9\.yaml: field version = "1\.5\.0" disagrees with the filename; the file must be named 1\.5\.0\.yaml/,
    );
  });

  it("refuses malformed YAML, unknown fields, missing fields and bad ranges", () => {
    refuses("r/1.5.0.yaml", "version: [1.5.0", /r\/1\.5\.0\.yaml: not valid YAML/);
    refuses("r/1.5.0.yaml", "version: [1.5.0\nname: x\n", /^r\/1\.5\.0\.yaml: not valid YAML: [^\n]{12,}$/);
    refuses("r/1.5.0.yaml", "- 1.5.0\n", /^r\/1\.5\.0\.yaml: field \(root\) = \["1\.5\.0"\]: /);
    refuses(
      "r/1.5.0.yaml",
      good.replace(/(  api:\n    version: )1\.5\.0/, "$11.5"),
      /^r\/1\.5\.0\.yaml: field components\.api\.version = 1\.5: Invalid input: expected string, received number$/,
    );
    assert.equal(
      parseReleaseFile("r/1.5.0.yml", good).version,
      "1.5.0",
      "the version is checked against the name without its .yml or .yaml",
    );
    refuses(
      "r/1.5.0.yaml",
      good.replace(/(  api:\n)/, "$1    extra: 1\n"),
      /^r\/1\.5\.0\.yaml: field components\.api\.extra = 1: unknown field;/,
    );
    refuses("r/1.5.0.yaml", `${good}\nextra: 1\n`, /r\/1\.5\.0\.yaml: field extra = 1: unknown field/);
    refuses(
      "r/1.5.0.yaml",
      good.replace(/  workers:\n    version: 1\.5\.0\n    image: \S+\n/, ""),
      /field components\.workers = \(unset\)/,
    );
    refuses(
      "r/1.5.0.yaml",
      good.replace('upgradeFrom: [">=1.4.0 <1.5.0"]', 'upgradeFrom: ["not a range"]'),
      /field notes\.upgradeFrom\.0 = "not a range": must be a semver range/,
    );
    refuses(
      "r/1.5.0.yaml",
      good.replace('min: "1.30"', 'min: "1.40"'),
      /kubernetes\.min = "1\.40" must not be above kubernetes\.max/,
    );
    refuses(
      "r/1.5.0.yaml",
      good.replace(/chart: cloudnative-pg\n    version: 0\.29\.0/, "chart: cloudnative-pg\n    version: latest"),
      /field charts\.cnpgOperator\.version = "latest": must be an exact version x\.y\.z like/,
    );
    refuses(
      "r/1.5.0.yaml",
      good.replace("      rate-limit: 2.1.0", "      Rate Limit: 2.1.0"),
      /field components\.gateway\.plugins\.Rate Limit = "2\.1\.0": is not a plugin name: a plugin is named in lower-case words joined by dashes, like pii-redaction$/,
    );
    refuses(
      "r/1.5.0.yaml",
      good.replace("      rate-limit: 2.1.0", "      rate-limit: latest"),
      /field components\.gateway\.plugins\.rate-limit = "latest": must be an exact version x\.y\.z like/,
    );
    refuses(
      "r/1.5.0.yaml",
      good.replace(/      configReloader: \S+\n/, ""),
      /field charts\.observability\.images = \{"server":"quay\.io\/prometheus\/prometheus:v3\.13\.2@sha256:[0-9a-f]+\.\.\.: must pin exactly the images configReloader, server/,
    );
    assert.deepEqual(
      parseReleaseFile("r/1.5.0.yaml", good.replace(/    plugins:\n(      \S+: \S+\n)+/, "")).components.gateway
        .plugins,
      {},
      "a release that names no plugins pins none",
    );
  });

  it("fails the whole load on one bad file, naming it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-catalog-"));
    fs.writeFileSync(path.join(dir, "1.5.0.yaml"), good);
    fs.writeFileSync(
      path.join(dir, "1.6.0.yaml"),
      good.replace(/^version: 1\.5\.0$/m, "version: 1.6.0").replace(/@sha256:[a-f0-9]{64}/, ":1.6.0"),
    );
    assert.throws(() => loadCatalog(dir), /1\.6\.0\.yaml: field components\.api\.image/);
    assert.throws(() => loadCatalog(path.join(dir, "missing")), /cannot read directory/);
  });

  it("computes a set digest that is stable, ignores notes and key order, and changes with any pin", () => {
    const base = parseReleaseFile("x/1.5.0.yaml", good);
    const digest = setDigest(base);
    assert.match(digest, /^sha256:[a-f0-9]{64}$/);
    assert.equal(setDigest(structuredClone(base)), digest);
    assert.equal(
      setDigest({ ...base, notes: { ...base.notes, summary: "reworded" } }),
      digest,
      "notes do not change the set",
    );
    const moved = structuredClone(base);
    moved.components.gateway.image = moved.components.gateway.image.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    assert.notEqual(setDigest(moved), digest, "a digest change moves the set digest");
    const chart = structuredClone(base);
    chart.charts.openbao.values = { server: { ha: { enabled: false } } };
    assert.notEqual(setDigest(chart), digest, "pinned chart values are part of the set");
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), canonicalJson({ a: [{ c: 2, d: 1 }], b: 1 }));
  });

  it("matches the shipped 1.5.1 set's digest, the one prod's promotion record pins (a golden value, not recomputed)", () => {
    assert.equal(
      setDigest(getRelease(loadCatalog(DEFAULT_CATALOG_DIR), "1.5.1")),
      "sha256:577ffbc3d26513311171d2be46102fb2e9081d4e00f5dbde25ff622009663878",
    );
  });

  it("moves with every pinned field: each component, each chart, PostgreSQL, the Kubernetes range", () => {
    const base = getRelease(loadCatalog(DEFAULT_CATALOG_DIR), "1.5.1");
    const digest = setDigest(base);
    const pinned = (release: Record<string, unknown>, at: string[] = []): string[][] =>
      Object.entries(release).flatMap(([k, v]) =>
        k === "notes" && at.length === 0
          ? []
          : v && typeof v === "object" && !Array.isArray(v)
            ? pinned(v as Record<string, unknown>, [...at, k])
            : [[...at, k]],
      );
    const leaves = pinned(base);
    for (const must of [
      ["postgres", "image"],
      ["postgres", "major"],
      ["components", "api", "image"],
      ["charts", "openbao", "version"],
      ["charts", "observability", "images", "server"],
      ["components", "gateway", "plugins", "rate-limit"],
      ["kubernetes", "min"],
    ]) {
      assert.ok(
        leaves.some((l) => l.join(".") === must.join(".")),
        `the set has ${must.join(".")} (have ${leaves.map((l) => l.join(".")).join(", ")})`,
      );
    }
    for (const leaf of leaves) {
      const changed = structuredClone(base) as unknown as Record<string, unknown>;
      const parent = leaf
        .slice(0, -1)
        .reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, changed);
      const last = leaf[leaf.length - 1];
      parent[last] = Array.isArray(parent[last])
        ? [...(parent[last] as unknown[]), "x"]
        : `${String(parent[last])}-changed`;
      assert.notEqual(
        setDigest(changed as unknown as typeof base),
        digest,
        `${leaf.join(".")} is part of the set digest`,
      );
    }
  });

  it("lists what differs between two sets", () => {
    const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
    const diff = diffSets(getRelease(catalog, "1.5.1"), getRelease(catalog, "2.0.0"));
    assert.deepEqual(
      diff.map((d) => d.key),
      [
        "components.api",
        "components.gateway",
        "components.gateway.plugins",
        "components.console",
        "components.workers",
        "charts.openbao",
        "postgres",
        "kubernetes",
      ],
    );
    assert.deepEqual(diffSets(getRelease(catalog, "1.5.1"), getRelease(catalog, "1.5.1")), []);
    // The observability chart and the built-in plugins move with the set like any other part.
    const patch = diffSets(getRelease(catalog, "1.5.0"), getRelease(catalog, "1.5.1"));
    assert.deepEqual(
      patch.filter((d) => d.key === "components.gateway.plugins" || d.key === "charts.observability"),
      [
        {
          key: "components.gateway.plugins",
          from: "pii-redaction=1.4.0,prompt-guard=1.1.0,rate-limit=2.1.0",
          to: "pii-redaction=1.4.0,prompt-guard=1.1.0,rate-limit=2.1.1",
        },
        {
          key: "charts.observability",
          from: "prometheus 29.25.0 (app v3.13.2)",
          to: "prometheus 29.27.0 (app v3.14.0)",
        },
      ],
    );
  });
});

describe("release catalog: which files, what each refusal says, what differs between sets", () => {
  function catalogDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-catalog-"));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  }

  it("orders versions by semver, not by file name, and reports the first bad file by name", () => {
    const release = (v: string) => good.replace(/^version: 1\.5\.0$/m, `version: ${v}`);
    assert.deepEqual(
      loadCatalog(catalogDir({ "1.10.0.yaml": release("1.10.0"), "1.9.0.yaml": release("1.9.0"), "1.5.0.yaml": good }))
        .versions,
      ["1.5.0", "1.9.0", "1.10.0"],
    );
    const bad = catalogDir({
      "1.4.0.yaml": "version: [",
      "1.3.0.yaml": "version: [",
      "1.2.0.yaml": "version: [",
      "1.1.0.yaml": "version: [",
    });
    assert.throws(
      () => loadCatalog(bad),
      (err: Error) => err.message.startsWith(`${path.join(bad, "1.1.0.yaml")}: not valid YAML`),
    );
  });

  it("suggests renaming only the extension of a .yml release file", () => {
    const dir = catalogDir({ "a.yml.YML": good });
    assert.throws(() => loadCatalog(dir), {
      message: `${path.join(dir, "a.yml.YML")}: a release file must end in .yaml, not .YML (rename it to a.yml.yaml)`,
    });
  });

  it("gives the first line of a catalog.yaml YAML error, and names its root when it is not a map", () => {
    const broken = catalogDir({ "1.5.0.yaml": good, "catalog.yaml": "mirror: [oops\nmore: x\n" });
    assert.throws(
      () => loadCatalog(broken),
      (err: Error) => /: not valid YAML: [^\n]{12,}$/.test(err.message),
    );
    const list = catalogDir({ "1.5.0.yaml": good, "catalog.yaml": "- a\n" });
    assert.throws(() => loadCatalog(list), {
      message: `${path.join(list, "catalog.yaml")}: field (root) = ["a"]: Invalid input: expected object, received array`,
    });
  });

  it("reads only release files: not catalog.yaml, nor a file that merely contains .yaml, nor other files", () => {
    const dir = catalogDir({
      "1.5.0.yaml": good,
      "catalog.yaml": "mirror:\n  ghcr.io: mirror.corp.example/ghcr\n",
      "1.5.0.yaml.orig": "not: [yaml",
      "README.md": "notes",
    });
    const loaded = loadCatalog(dir);
    assert.deepEqual(loaded.versions, ["1.5.0"]);
    assert.deepEqual(loaded.mirror, { "ghcr.io": "mirror.corp.example/ghcr" });
    fs.rmSync(dir, { recursive: true });
  });
  it("refuses an empty catalog, a .yml release and a bad catalog.yaml, naming the file", () => {
    const empty = catalogDir({ "README.md": "notes" });
    assert.throws(() => loadCatalog(empty), { message: `release catalog: no releases/*.yaml files in ${empty}` });
    const yml = catalogDir({ "1.5.0.yml": good });
    assert.throws(() => loadCatalog(yml), {
      message: `${path.join(yml, "1.5.0.yml")}: a release file must end in .yaml, not .yml (rename it to 1.5.0.yaml)`,
    });
    const badYaml = catalogDir({ "1.5.0.yaml": good, "catalog.yaml": "mirror: [oops\n" });
    assert.throws(
      () => loadCatalog(badYaml),
      (err: unknown) => (err as Error).message.startsWith(`${path.join(badYaml, "catalog.yaml")}: not valid YAML: `),
    );
    const unknown = catalogDir({ "1.5.0.yaml": good, "catalog.yaml": "mirrors: {}\n" });
    assert.throws(() => loadCatalog(unknown), {
      message: `${path.join(unknown, "catalog.yaml")}: field mirrors = {}: unknown field; catalog.yaml has only mirror`,
    });
    for (const dir of [empty, yml, badYaml, unknown]) fs.rmSync(dir, { recursive: true });
  });
  it("takes a chart's images in any order, and a Kubernetes range of one minor", () => {
    const reordered = good.replace(/(      plugin: \S+\n)(      sidecar: \S+\n)/, "$2$1");
    assert.notEqual(reordered, good);
    assert.equal(parseReleaseFile("r/1.5.0.yaml", reordered).version, "1.5.0");
    assert.deepEqual(parseReleaseFile("r/1.5.0.yaml", good.replace('max: "1.33"', 'max: "1.30"')).kubernetes, {
      min: "1.30",
      max: "1.30",
    });
  });
  it("refuses a component of another major, naming it", () => {
    assert.throws(() => parseReleaseFile("r/1.5.0.yaml", good.replace(/(  api:\n    version: )1\.5\.0/, "$12.0.0")), {
      message: 'r/1.5.0.yaml: field components.api.version = "2.0.0" must share the release\'s major version 1',
    });
  });
  it("names the versions it has when asked for another", () => {
    assert.throws(() => getRelease(loadCatalog(DEFAULT_CATALOG_DIR), "9.9.9"), {
      message: "release 9.9.9 is not in the catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)",
    });
  });
  it("serializes canonically: keys sorted at every depth, inside arrays too, undefined left out", () => {
    assert.equal(
      canonicalJson({ b: 1, a: [2, { d: undefined, c: "x", a: null }] }),
      '{"a":[2,{"a":null,"c":"x"}],"b":1}',
    );
    assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  });
  it("lists each difference with both sides: a component's image alone, the PostgreSQL image, the Kubernetes range", () => {
    const base = getRelease(loadCatalog(DEFAULT_CATALOG_DIR), "1.5.0");
    const changed = structuredClone(base);
    changed.components.api.image = base.components.api.image.replace(/@sha256:.*/, `@sha256:${"b".repeat(64)}`);
    changed.postgres.image = base.postgres.image.replace(/@sha256:.*/, `@sha256:${"a".repeat(64)}`);
    changed.kubernetes.max = "1.34";
    assert.deepEqual(diffSets(base, changed), [
      {
        key: "components.api",
        from: `1.5.0 (${base.components.api.image})`,
        to: `1.5.0 (${changed.components.api.image})`,
      },
      {
        key: "postgres",
        from: `${base.postgres.major} (${base.postgres.image})`,
        to: `${base.postgres.major} (${changed.postgres.image})`,
      },
      { key: "kubernetes", from: "1.30-1.33", to: "1.30-1.34" },
    ]);
    const minOnly = structuredClone(base);
    minOnly.kubernetes.min = "1.29";
    assert.deepEqual(diffSets(base, minOnly), [{ key: "kubernetes", from: "1.30-1.33", to: "1.29-1.33" }]);
    const chart = structuredClone(base);
    chart.charts.openbao.version = "9.9.9";
    assert.deepEqual(diffSets(base, chart), [
      {
        key: "charts.openbao",
        from: `openbao ${base.charts.openbao.version} (app ${base.charts.openbao.appVersion})`,
        to: `openbao 9.9.9 (app ${base.charts.openbao.appVersion})`,
      },
    ]);
  });
});
