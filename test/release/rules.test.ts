/**
 * Rules that have exactly one definition in lib/ and more than one reader. Each is tested directly, and
 * where two readers could disagree (the program and the policy pack, the policy pack and preflight),
 * both are asked the same question.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog, setDigest } from "../../lib/release/catalog";
import { LockstepInputError } from "../../lib/core/errors";
import { closest } from "../../lib/core/hints";
import { decidePromotion, promotionVerdict } from "../../lib/state/promotion";
import { DIGEST_IMAGE, EXACT_VERSION } from "../../lib/release/schemas";
import { looksLikePlaintextSecret } from "../../lib/security/secrets";
import { kubernetesVerdict } from "../../lib/release/semverRules";
import { gatewayTracks, workloadVersions } from "../../lib/rollout/versions";
import { validateWorkloadSpec, WorkloadSpec } from "../../components/workload";
import { evaluatePolicy, toPolicyResources } from "../../plan/policyRunner";
import { podSecurity } from "../../policy/policies";
import { runStack } from "../helpers";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);

describe("the plaintext-secret rule (workload builder and pod-security policy)", () => {
  const cases: [string, string, boolean][] = [
    ["DATABASE_PASSWORD", "x", true],
    ["API_KEY", "abc", true],
    ["APIKEY", "abc", true],
    ["PRIVATE_KEY", "k", true],
    ["GITHUB_TOKEN", "t", true],
    ["AWS", "AKIAABCDEFGHIJKLMNOP", true],
    ["DSN", "postgres://user:hunter2@db:5432/app", true],
    ["OPENAI", `sk-${"a".repeat(24)}`, true],
    ["PEM", "-----BEGIN RSA PRIVATE KEY-----", true],
    ["API_URL", "http://api.aigw.svc", false],
    ["GATEWAY_PORT", "41002", false],
    ["WORKER_KIND", "export", false],
  ];
  for (const [name, value, secret] of cases) {
    it(`${name}=${value.slice(0, 20)} ${secret ? "is" : "is not"} a plaintext secret`, () =>
      assert.equal(looksLikePlaintextSecret(name, value), secret));
  }

  it("the workload builder refuses exactly what the policy reports", async () => {
    const resources = await runStack("staging");
    const api = resources.find((r) => r.name === "api");
    assert.ok(api);
    const spec = (env: { name: string; value: string }): WorkloadSpec => ({
      name: "api",
      appName: "api",
      namespace: "x",
      component: "api",
      version: "1.5.1",
      image: "r/a@sha256:" + "0".repeat(64),
      replicas: 1,
      spread: false,
      port: { name: "http", containerPort: 8080 },
      readinessPath: "/readyz",
      livenessPath: "/healthz",
      preStopSleepSeconds: 5,
      terminationGracePeriodSeconds: 30,
      env: [env],
      resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
      awaitRollout: false,
    });
    for (const [name, value, secret] of cases) {
      const copy = structuredClone(api);
      (
        copy.props as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } }
      ).spec.template.spec.containers[0].env = [{ name, value }];
      const violations = await evaluatePolicy(podSecurity, toPolicyResources([copy]));
      assert.equal(
        violations.some((v) => /plaintext secret/.test(v.message)),
        secret,
        `policy on ${name}`,
      );
      if (secret)
        assert.throws(() => validateWorkloadSpec(spec({ name, value })), LockstepInputError, `builder on ${name}`);
      else assert.doesNotThrow(() => validateWorkloadSpec(spec({ name, value })), `builder on ${name}`);
    }
  });
});

describe("exact versions and digests (catalog, config, catalog add, verification records)", () => {
  it("accepts x.y.z only", () => {
    for (const good of ["1.5.1", "0.0.0", "10.20.30"]) assert.ok(EXACT_VERSION.test(good), good);
    for (const bad of ["v1.5.1", "1.5.1+build", "1.5.1-rc.1", "1.5", "01.5.1", "1.5.1 "])
      assert.ok(!EXACT_VERSION.test(bad), bad);
  });

  it("accepts images by digest only", () => {
    assert.ok(DIGEST_IMAGE.test(`registry.example/aigw/api@sha256:${"a".repeat(64)}`));
    assert.ok(DIGEST_IMAGE.test(`ghcr.io/x/y:1.2@sha256:${"0".repeat(64)}`));
    for (const bad of ["registry.example/aigw/api:1.5.1", "api@sha256:abc", `API@sha256:${"a".repeat(64)}`])
      assert.ok(!DIGEST_IMAGE.test(bad), bad);
  });
});

describe("the Kubernetes range check (kubernetes-baseline and preflight)", () => {
  const release = getRelease(catalog, "1.5.1");
  it("passes inside the range, by minor, with or without a patch or v", () => {
    for (const v of ["1.30", "1.33", "v1.31.4", "1.32.0"]) assert.equal(kubernetesVerdict(v, release).ok, true, v);
  });
  it("names the version, the release and the range when outside or unset", () => {
    assert.deepEqual(kubernetesVerdict("1.29", release), {
      ok: false,
      reason: "Kubernetes 1.29 must be inside release 1.5.1's supported range 1.30 - 1.33",
    });
    assert.equal(kubernetesVerdict("1.34", release).ok, false);
    assert.match(kubernetesVerdict(undefined, release).reason, /must declare lockstep:kubernetesVersion/);
  });
});

describe("the promoted-set check (prod-promoted-only and preflight)", () => {
  const digest = setDigest(getRelease(catalog, "1.5.1"));
  const promotion = { version: "1.5.1", setDigest: digest, verifiedIn: "staging", verifiedAt: "2026-11-20T00:00:00Z" };
  it("passes the promoted version at the catalog's digest", () =>
    assert.equal(promotionVerdict(promotion, "1.5.1", catalog, "prod").ok, true));
  it("refuses a missing record, another version, and a changed digest", () => {
    assert.match(promotionVerdict(null, "1.5.1", catalog, "prod").reason, /^prod must run a promoted set/);
    assert.match(
      promotionVerdict(promotion, "1.5.0", catalog, "prod").reason,
      /must be the promoted version, but the promotion record is for 1\.5\.1/,
    );
    assert.match(
      promotionVerdict({ ...promotion, setDigest: `sha256:${"0".repeat(64)}` }, "1.5.1", catalog, "prod").reason,
      /the set changed after verification/,
    );
  });
});

describe("the canary decision (gateway tracks, workload versions and the program)", () => {
  it("runs a canary only inside a window with a percent", () => {
    assert.deepEqual(gatewayTracks("1.5.1", undefined), { stable: "1.5.1" });
    assert.deepEqual(gatewayTracks("1.5.1", { from: "1.5.0" }), { stable: "1.5.1" });
    assert.deepEqual(gatewayTracks("1.5.1", { from: "1.5.0", gatewayCanaryPercent: 10 }), {
      stable: "1.5.0",
      canary: { version: "1.5.1", percent: 10 },
    });
  });

  it("the program declares exactly the tracks the decision names, with its weight", async () => {
    const resources = await runStack("staging", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=20");
    const versions = workloadVersions(
      { release: "1.5.1", console: { blue: "1.5.1", green: "1.5.0", live: "blue" } },
      { from: "1.5.0", gatewayCanaryPercent: 20 },
    );
    const label = (name: string) =>
      (resources.find((r) => r.name === name)?.props as { metadata: { labels: Record<string, string> } }).metadata
        .labels["app.kubernetes.io/version"];
    assert.equal(label("gateway"), versions.gateway);
    assert.equal(label("gateway-canary"), versions["gateway-canary"]);
    const route = resources.find((r) => r.name === "gateway-route")?.props as {
      spec: { rules: { backendRefs: { weight: number }[] }[] };
    };
    assert.deepEqual(
      route.spec.rules[0].backendRefs.map((b) => b.weight),
      [80, 20],
    );
  });
});

describe("did-you-mean hints", () => {
  it("suggests a near key and nothing for a far one", () => {
    assert.equal(closest("fromm", ["from", "gatewayCanaryPercent"]), "from");
    assert.equal(closest("relase", ["release", "environment"]), "release");
    assert.equal(closest("Release", ["release"]), "release");
    assert.equal(closest("zzzzzz", ["release", "environment"]), undefined);
    assert.equal(closest("release", ["release"]), undefined, "an exact match needs no hint");
  });

  it("keeps the first of equally near candidates", () => {
    assert.equal(closest("ha1", ["ha", "hb1"]), "ha");
    assert.equal(closest("ha1", ["hb1", "ha"]), "hb1");
  });
});

describe("the promotion decision and verdict", () => {
  // The shipped 1.5.1 set's digest, as Pulumi.prod.yaml pins it (a golden value, not recomputed).
  const DIGEST_151 = "sha256:577ffbc3d26513311171d2be46102fb2e9081d4e00f5dbde25ff622009663878";
  const record = {
    stack: "staging",
    version: "1.5.1",
    setDigest: DIGEST_151,
    smoke: "passed" as const,
    verifiedAt: "2026-11-20T10:00:00Z",
  };
  const request = (currentRelease: string, live: "blue" | "green" = "blue") => ({
    fromStack: "staging",
    toStack: "prod",
    record,
    catalog,
    currentRelease,
    currentConsole: { blue: currentRelease, green: currentRelease, live },
    now: new Date("2026-11-21T00:00:00Z"),
  });

  it("puts a minor's console on the idle color, whichever is live", () => {
    const fromGreen = decidePromotion(request("1.5.0", "green"));
    assert.ok(fromGreen.ok);
    assert.deepEqual(fromGreen.updates.console, { blue: "1.5.1", green: "1.5.0", live: "green" });
  });
  it("writes a coordinated window only for a contract release or a major: an expand-only one rolls", () => {
    const expandOnly = decidePromotion({
      ...request("1.3.4"),
      record: { ...record, version: "1.4.2", setDigest: setDigest(getRelease(catalog, "1.4.2")) },
    });
    assert.ok(expandOnly.ok, JSON.stringify(expandOnly));
    assert.ok("upgrade" in expandOnly.updates, "the key is written (to remove a stale window)");
    assert.equal(expandOnly.updates.upgrade, undefined);
    const contract = decidePromotion(request("1.5.0"));
    assert.ok(contract.ok);
    assert.deepEqual(contract.updates.upgrade, { mode: "coordinated" });
  });
  it("changes neither the window nor the console when promoting the version already running", () => {
    const again = decidePromotion(request("1.5.1"));
    assert.ok(again.ok, JSON.stringify(again));
    assert.deepEqual(Object.keys(again.updates).sort(), ["promotion", "release", "rollback"]);
  });
  it("names the catalog's versions for a verified version it does not have", () => {
    const unknown = decidePromotion({ ...request("1.5.0"), record: { ...record, version: "1.9.0" } });
    assert.deepEqual(unknown.ok ? [] : unknown.reasons, [
      "staging verified 1.9.0, which is not in the release catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)",
    ]);
  });
  it("says why a promoted set may run, and names the catalog's versions for one it does not have", () => {
    const promotion = {
      version: "1.5.1",
      setDigest: DIGEST_151,
      verifiedIn: "staging",
      verifiedAt: "2026-11-20T10:00:00Z",
    };
    assert.deepEqual(promotionVerdict(promotion, "1.5.1", catalog, "prod"), {
      ok: true,
      reason: `1.5.1 verified in staging at 2026-11-20T10:00:00Z, set ${DIGEST_151}`,
    });
    assert.deepEqual(promotionVerdict(promotion, "1.9.0", catalog, "prod"), {
      ok: false,
      reason: "release 1.9.0 is not in the release catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)",
    });
  });
});
