/**
 * Edges of the pure core that mutation testing showed were unpinned: image references and the chart values
 * made from them, the compatibility range, the rollout's states and messages, and the window's source.
 * Every expected value is a literal.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { Catalog, canonicalJson, DEFAULT_CATALOG_DIR, diffSets, getRelease, loadCatalog, parseReleaseFile } from "../lib/catalog";
import { compatibilityRange, compatibleBeside, defaultCompatibility } from "../lib/compatibility";
import { deployedAt } from "../lib/deployed";
import { chartImageValues, formatImage, mirrored, parseImage } from "../lib/images";
import { decidePromotion, promotionVerdict } from "../lib/promotion";
import { checkRollout, describeState, rolloutStates, stateProblems, Versions } from "../lib/rollout";
import { componentOf, waveOf } from "../lib/versions";
import { waveOrder } from "../lib/waves";
import { runningFrom, upgradeWindow } from "../lib/window";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const WAVES = waveOrder({ upgradeWindow: true }).map((w) => w.id);
const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;

describe("image references", () => {
  it("split into registry, repository, tag and digest, a registry port and an absent tag included", () => {
    assert.deepEqual(parseImage(`ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0@${A}`), { registry: "ghcr.io", repository: "cloudnative-pg/cloudnative-pg", tag: "1.30.0", digest: A });
    assert.deepEqual(parseImage(`registry.lockstep.example/aigw/api@${A}`), { registry: "registry.lockstep.example", repository: "aigw/api", tag: "", digest: A });
    assert.deepEqual(parseImage(`localhost:5000/team/app@${A}`), { registry: "localhost:5000", repository: "team/app", tag: "", digest: A });
    assert.deepEqual(parseImage(`localhost:5000/app:v2@${A}`), { registry: "localhost:5000", repository: "app", tag: "v2", digest: A });
  });
  it("format back to the same reference, with or without a tag", () => {
    for (const ref of [`ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0@${A}`, `registry.lockstep.example/aigw/api@${A}`]) assert.equal(formatImage(parseImage(ref)), ref);
  });
  it("move to the mirror of their registry, with its path prefix, and keep the digest", () => {
    const ref = `ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0@${A}`;
    assert.equal(mirrored(ref, { "ghcr.io": "mirror.corp.example/ghcr" }), `mirror.corp.example/ghcr/cloudnative-pg/cloudnative-pg:1.30.0@${A}`);
    assert.equal(mirrored(ref, { "ghcr.io": "mirror.corp.example" }), `mirror.corp.example/cloudnative-pg/cloudnative-pg:1.30.0@${A}`);
    assert.equal(mirrored(ref, { "quay.io": "mirror.corp.example/quay" }), ref, "another registry's mirror does not apply");
    assert.equal(mirrored(ref, undefined), ref);
  });
  it("become each chart's image values, digest and all", () => {
    const mirror = { "ghcr.io": "mirror.corp.example/ghcr" };
    assert.deepEqual(chartImageValues("cnpgOperator", { operator: `ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0@${A}` }, mirror), {
      image: { repository: "mirror.corp.example/ghcr/cloudnative-pg/cloudnative-pg", tag: `1.30.0@${A}` },
    });
    assert.deepEqual(chartImageValues("barmanCloudPlugin", { plugin: `ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.13.0@${A}`, sidecar: `ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar@${B}` }, undefined), {
      image: { registry: "ghcr.io", repository: "cloudnative-pg/plugin-barman-cloud", tag: `v0.13.0@${A}` },
      sidecarImage: { registry: "ghcr.io", repository: "cloudnative-pg/plugin-barman-cloud-sidecar", tag: B },
    });
    assert.deepEqual(chartImageValues("identity", { keycloak: `quay.io/keycloak/keycloak:26.5.6@${A}` }, undefined), {
      image: { repository: "quay.io/keycloak/keycloak", tag: "26.5.6", digest: A },
    });
    assert.deepEqual(chartImageValues("openbao", { server: `quay.io/openbao/openbao:2.4.3@${A}` }, undefined), {
      server: { image: { registry: "quay.io", repository: "openbao/openbao", tag: `2.4.3@${A}` } },
    });
  });
});

describe("the compatibility range", () => {
  it("is the one declared by the release whose API runs, and names both versions when broken", () => {
    assert.equal(compatibilityRange(catalog, "console", "1.5.1"), ">=1.4.0 <1.6.0");
    assert.equal(compatibilityRange(catalog, "workers", "2.0.0"), ">=2.0.0 <2.1.0");
    assert.equal(compatibilityRange(undefined, "workers", "2.0.0"), ">=2.0.0 <2.1.0", "without a catalog, the default");
    assert.deepEqual(compatibleBeside(catalog, "workers", "1.5.1", "2.0.0"), { compatible: false, range: ">=2.0.0 <2.1.0", reason: "workers 1.5.1 must be in >=2.0.0 <2.1.0 beside API 2.0.0" });
    assert.deepEqual(compatibleBeside(catalog, "workers", "2.0.0", "2.0.0"), { compatible: true, range: ">=2.0.0 <2.1.0", reason: "" });
  });
  it("is read from the release whose API version matches, not from another release", () => {
    // The shipped releases declare exactly the default windows, so two made-up releases tell them apart.
    const declaring = (api: string, gateway: string) => ({ components: { api: { version: api } }, notes: { compatibility: { gateway } } });
    const made = { releases: new Map([["1.0.0", declaring("1.0.0", ">=0.8.0 <1.1.0")], ["1.2.0", declaring("1.2.0", ">=1.0.0 <1.3.0")]]) } as unknown as Catalog;
    assert.equal(compatibilityRange(made, "gateway", "1.2.0"), ">=1.0.0 <1.3.0");
    assert.equal(compatibilityRange(made, "gateway", "1.0.0"), ">=0.8.0 <1.1.0");
  });
  it("refuses an API version that is not semantic, naming it", () => {
    assert.throws(() => defaultCompatibility("latest"), { message: 'not a semantic version: "latest"' });
  });
});

describe("workload names", () => {
  it("have a component and a wave; other names have neither", () => {
    assert.equal(componentOf("gateway-canary"), "gateway");
    assert.equal(waveOf("worker-config"), "workers");
    assert.equal(componentOf("team-proxy"), undefined);
    assert.equal(waveOf("team-proxy"), undefined);
  });
});

describe("rollout states and their problems", () => {
  it("start from nothing on a first install and add each wave's workloads as it runs", () => {
    const states = rolloutStates(null, { api: "1.5.1", gateway: "1.5.1" }, WAVES);
    assert.deepEqual(states, [
      { after: "api", versions: { api: "1.5.1" } },
      { after: "gateways", versions: { api: "1.5.1", gateway: "1.5.1" } },
    ]);
  });
  it("remove a workload the target no longer has in its own wave", () => {
    const states = rolloutStates({ api: "1.5.0", "gateway-canary": "1.5.1" }, { api: "1.5.1" }, WAVES);
    assert.deepEqual(states.map((s) => s.versions), [{ api: "1.5.0", "gateway-canary": "1.5.1" }, { api: "1.5.1", "gateway-canary": "1.5.1" }, { api: "1.5.1" }]);
  });
  it("are judged only beside an API, and never judge the API or a workload lockstep does not know", () => {
    assert.deepEqual(stateProblems({ after: "start", versions: { gateway: "0.1.0" } }, catalog), []);
    assert.deepEqual(stateProblems({ after: "start", versions: { api: "1.5.1", "team-proxy": "0.1.0", gateway: "1.5.0" } }, catalog), []);
    assert.deepEqual(stateProblems({ after: "start", versions: { api: "1.5.1", gateway: "1.3.4" } }, catalog), [{ workload: "gateway", version: "1.3.4", reason: "gateway 1.3.4 must be in >=1.4.0 <1.6.0 beside API 1.5.1" }]);
  });
  it("are named for a human: before the first wave, or after a wave", () => {
    const problem = { workload: "gateway", version: "1.3.4", reason: "r" };
    assert.equal(describeState({ after: "start", versions: { api: "1.5.1", gateway: "1.3.4" } }, [problem]), "before the first wave: api 1.5.1 with gateway 1.3.4 (r)");
    assert.equal(describeState({ after: "api", versions: { api: "1.5.1", gateway: "1.3.4" } }, [problem, { ...problem, workload: "gateway-canary" }]), "after wave api: api 1.5.1 with gateway 1.3.4, gateway-canary 1.3.4 (r)");
  });
  it("say the way through: every workload to move, in a coordinated window, a major, or one minor at a time", () => {
    const coordinated = checkRollout(null, { api: "1.5.1", gateway: "1.3.4", "gateway-canary": "1.3.4" }, WAVES, "coordinated", catalog);
    assert.equal(coordinated.wayThrough, "the final state must be compatible: move gateway, gateway-canary into >=1.4.0 <1.6.0 beside API 1.5.1");
    const minor = checkRollout({ api: "1.4.2", gateway: "1.3.4", "gateway-canary": "1.3.4" }, { api: "1.5.1", gateway: "1.5.1" }, WAVES, "rolling", catalog);
    assert.equal(minor.wayThrough, "bring gateway, gateway-canary inside the API's window first, one minor at a time");
    assert.equal(minor.firstBad?.description, "after wave api: api 1.5.1 with gateway 1.3.4, gateway-canary 1.3.4 (gateway 1.3.4 must be in >=1.4.0 <1.6.0 beside API 1.5.1)");
    const major = checkRollout({ api: "1.5.1", gateway: "1.5.1" }, { api: "2.0.0", gateway: "2.0.0" }, WAVES, "rolling", catalog);
    assert.match(major.wayThrough ?? "", /^a major version moves in a coordinated window/);
    for (const [deployed, target] of [[{ gateway: "1.3.4" }, { api: "1.5.1", gateway: "1.3.4" }], [{ api: "1.4.2", gateway: "1.3.4" }, { gateway: "1.3.4", api: "1.5.1" }]] as Versions[][]) {
      assert.match(checkRollout(deployed, target, WAVES, "rolling", catalog).wayThrough ?? "", /^bring gateway inside/, JSON.stringify(deployed));
    }
  });
});

describe("the window's source", () => {
  const config = (release: string, from?: string) => ({ release, upgrade: from ? { from, mode: "rolling" as const } : undefined });
  it("is the deployed release when the target moved, even with a workload left behind", () => {
    const lagging = { release: "1.5.1", setDigest: null, workloads: { ...deployedAt("1.5.1", catalog).workloads, "worker-export": "1.5.0" } };
    assert.equal(runningFrom(lagging, "2.0.0"), "1.5.1");
  });
  it("is the oldest version still running when the target did not move", () => {
    const mixed = { release: "1.5.1", setDigest: null, workloads: { api: "1.5.1", gateway: "1.5.0", "worker-export": "1.4.2", "worker-config": "1.5.0" } };
    assert.equal(runningFrom(mixed, "1.5.1"), "1.4.2");
  });
  it("accepts an upgrade.from left at the release itself, and says what runs when nothing is behind", () => {
    assert.equal(upgradeWindow(config("1.5.1", "1.5.1"), deployedAt("1.5.0", catalog))?.from, "1.5.0");
    assert.throws(() => upgradeWindow(config("1.5.1", "1.5.0"), deployedAt("1.5.1", catalog)), {
      message: 'lockstep:upgrade.from = "1.5.0", but this stack already runs 1.5.1 everywhere (its last deployment); the window opens from what runs, so remove upgrade.from',
    });
  });
});

describe("the catalog's edges", () => {
  const good = fs.readFileSync(path.join(DEFAULT_CATALOG_DIR, "1.5.0.yaml"), "utf8");
  function catalogDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-catalog-"));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  }

  it("reads only release files: not catalog.yaml, nor a file that merely contains .yaml, nor other files", () => {
    const dir = catalogDir({ "1.5.0.yaml": good, "catalog.yaml": "mirror:\n  ghcr.io: mirror.corp.example/ghcr\n", "1.5.0.yaml.orig": "not: [yaml", "README.md": "notes" });
    const loaded = loadCatalog(dir);
    assert.deepEqual(loaded.versions, ["1.5.0"]);
    assert.deepEqual(loaded.mirror, { "ghcr.io": "mirror.corp.example/ghcr" });
    fs.rmSync(dir, { recursive: true });
  });
  it("refuses an empty catalog, a .yml release and a bad catalog.yaml, naming the file", () => {
    const empty = catalogDir({ "README.md": "notes" });
    assert.throws(() => loadCatalog(empty), { message: `release catalog: no releases/*.yaml files in ${empty}` });
    const yml = catalogDir({ "1.5.0.yml": good });
    assert.throws(() => loadCatalog(yml), { message: `${path.join(yml, "1.5.0.yml")}: a release file must end in .yaml, not .yml (rename it to 1.5.0.yaml)` });
    const badYaml = catalogDir({ "1.5.0.yaml": good, "catalog.yaml": "mirror: [oops\n" });
    assert.throws(() => loadCatalog(badYaml), (err: unknown) => (err as Error).message.startsWith(`${path.join(badYaml, "catalog.yaml")}: not valid YAML: `));
    const unknown = catalogDir({ "1.5.0.yaml": good, "catalog.yaml": "mirrors: {}\n" });
    assert.throws(() => loadCatalog(unknown), { message: `${path.join(unknown, "catalog.yaml")}: field mirrors = {}: unknown field; catalog.yaml has only mirror` });
    for (const dir of [empty, yml, badYaml, unknown]) fs.rmSync(dir, { recursive: true });
  });
  it("takes a chart's images in any order, and a Kubernetes range of one minor", () => {
    const reordered = good.replace(/(      plugin: \S+\n)(      sidecar: \S+\n)/, "$2$1");
    assert.notEqual(reordered, good);
    assert.equal(parseReleaseFile("r/1.5.0.yaml", reordered).version, "1.5.0");
    assert.deepEqual(parseReleaseFile("r/1.5.0.yaml", good.replace('max: "1.33"', 'max: "1.30"')).kubernetes, { min: "1.30", max: "1.30" });
  });
  it("refuses a component of another major, naming it", () => {
    assert.throws(() => parseReleaseFile("r/1.5.0.yaml", good.replace(/(  api:\n    version: )1\.5\.0/, "$12.0.0")), { message: 'r/1.5.0.yaml: field components.api.version = "2.0.0" must share the release\'s major version 1' });
  });
  it("names the versions it has when asked for another", () => {
    assert.throws(() => getRelease(catalog, "9.9.9"), { message: "release 9.9.9 is not in the catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)" });
  });
  it("serializes canonically: keys sorted at every depth, inside arrays too, undefined left out", () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: undefined, c: "x", a: null }] }), '{"a":[2,{"a":null,"c":"x"}],"b":1}');
    assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  });
  it("lists each difference with both sides: a component's image alone, the PostgreSQL image, the Kubernetes range", () => {
    const base = getRelease(catalog, "1.5.0");
    const changed = structuredClone(base);
    changed.components.api.image = base.components.api.image.replace(/@sha256:.*/, `@${B}`);
    changed.postgres.image = base.postgres.image.replace(/@sha256:.*/, `@${A}`);
    changed.kubernetes.max = "1.34";
    assert.deepEqual(diffSets(base, changed), [
      { key: "components.api", from: `1.5.0 (${base.components.api.image})`, to: `1.5.0 (${changed.components.api.image})` },
      { key: "postgres", from: `${base.postgres.major} (${base.postgres.image})`, to: `${base.postgres.major} (${changed.postgres.image})` },
      { key: "kubernetes", from: "1.30-1.33", to: "1.30-1.34" },
    ]);
    const minOnly = structuredClone(base);
    minOnly.kubernetes.min = "1.29";
    assert.deepEqual(diffSets(base, minOnly), [{ key: "kubernetes", from: "1.30-1.33", to: "1.29-1.33" }]);
    const chart = structuredClone(base);
    chart.charts.openbao.version = "9.9.9";
    assert.deepEqual(diffSets(base, chart), [{ key: "charts.openbao", from: `openbao ${base.charts.openbao.version} (app ${base.charts.openbao.appVersion})`, to: `openbao 9.9.9 (app ${base.charts.openbao.appVersion})` }]);
  });
});

describe("promotion's edges", () => {
  // The shipped 1.5.1 set's digest, as Pulumi.prod.yaml pins it (a golden value, not recomputed).
  const DIGEST_151 = "sha256:bdf0008f0adb58708773861564dbee0d8249224c411ad4e1cbea6d7849d46f5e";
  const record = { stack: "staging", version: "1.5.1", setDigest: DIGEST_151, smoke: "passed" as const, verifiedAt: "2026-11-20T10:00:00Z" };
  const request = (currentRelease: string, live: "blue" | "green" = "blue") => ({
    fromStack: "staging", toStack: "prod", record, catalog, currentRelease,
    currentConsole: { blue: currentRelease, green: currentRelease, live }, now: new Date("2026-11-21T00:00:00Z"),
  });

  it("puts a minor's console on the idle color, whichever is live", () => {
    const fromGreen = decidePromotion(request("1.5.0", "green"));
    assert.ok(fromGreen.ok);
    assert.deepEqual(fromGreen.updates.console, { blue: "1.5.1", green: "1.5.0", live: "green" });
  });
  it("changes neither the window nor the console when promoting the version already running", () => {
    const again = decidePromotion(request("1.5.1"));
    assert.ok(again.ok, JSON.stringify(again));
    assert.deepEqual(Object.keys(again.updates).sort(), ["promotion", "release", "rollback"]);
  });
  it("names the catalog's versions for a verified version it does not have", () => {
    const unknown = decidePromotion({ ...request("1.5.0"), record: { ...record, version: "1.9.0" } });
    assert.deepEqual(unknown.ok ? [] : unknown.reasons, ["staging verified 1.9.0, which is not in the release catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)"]);
  });
  it("says why a promoted set may run, and names the catalog's versions for one it does not have", () => {
    const promotion = { version: "1.5.1", setDigest: DIGEST_151, verifiedIn: "staging", verifiedAt: "2026-11-20T10:00:00Z" };
    assert.deepEqual(promotionVerdict(promotion, "1.5.1", catalog, "prod"), { ok: true, reason: `1.5.1 verified in staging at 2026-11-20T10:00:00Z, set ${DIGEST_151}` });
    assert.deepEqual(promotionVerdict(promotion, "1.9.0", catalog, "prod"), { ok: false, reason: "release 1.9.0 is not in the release catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)" });
  });
});
