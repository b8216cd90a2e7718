/**
 * Real-engine tier. Needs scripts/toolchain.sh first (`npm run test:e2e` runs it).
 *
 * What runs for real: etcd and kube-apiserver on loopback, the CRDs from ../shared/crds, and every
 * Kubernetes object the program declares, applied server-side, for a first deploy at 1.5.0 and an upgrade
 * window to 1.5.1. The API server validates each object against its schema (CRD structural schemas,
 * core validation) and runs Pod Security admission on the platform namespace.
 *
 * What cannot run here: `pulumi preview`/`up` through the Automation API. The Go module proxy refuses
 * the Pulumi CLI, the Node.js language host and the Kubernetes and Command providers at the versions
 * the SDKs need (see toolchain.json). Those steps are listed below as skipped with the recorded error;
 * they are not replaced by mocks.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog } from "../../lib/catalog";
import { plan, PlanResult } from "../../plan/plan";
import { SHARED, sharedAvailable } from "../helpers";
import { ApiServer, readToolchain, startApiServer, toolchainDir } from "./apiserver";

const toolchain = readToolchain();
const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const missing = (names: string[]) => names.filter((n) => toolchain?.[n]?.status !== "built");
const reason = (names: string[]) => {
  if (!toolchain) return "scripts/toolchain.sh has not run (npm run test:e2e runs it first)";
  const absent = missing(names);
  if (absent.length === 0) return false;
  const first = toolchain[absent[0]];
  const why = (first?.error ?? "not attempted").split("\\n")[0].replace(/^.*: (\d{3} \w+)$/, "$1");
  return `not built from the Go module proxy: ${absent.map((n) => `${n} ${toolchain[n]?.version ?? ""}`).join(", ")} (${why}; details in ${path.join(toolchainDir(), "toolchain.json")})`;
};
const apiServerSkip = !sharedAvailable ? `../shared is absent (looked in ${SHARED}); the e2e needs its CRDs` : reason(["etcd", "kube-apiserver"]);
const engineSkip = reason(["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "pulumi-resource-command"]);

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string } } & Record<string, unknown>;

/** The Kubernetes objects of a plan, as manifests, namespaces first (Helm releases and commands are not objects). */
function manifests(result: PlanResult): Manifest[] {
  const objects = result.resources
    .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release" && !r.type.startsWith("pulumi:"))
    .map((r) => r.props as Manifest);
  return [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
}

function applyAll(server: ApiServer, objects: Manifest[]) {
  return server.kubectl(["apply", "--server-side", "--field-manager=lockstep-e2e", "--force-conflicts", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
}

function get(server: ApiServer, kind: string, name: string, namespace?: string): Manifest {
  const r = server.kubectl(["get", kind, name, ...(namespace ? ["-n", namespace] : []), "-o", "json"]);
  assert.equal(r.status, 0, `get ${kind} ${name}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Manifest;
}

const timings: Record<string, number> = {};
async function timed<T>(step: string, fn: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    timings[step] = Math.round(performance.now() - started);
  }
}

describe("real API server: the declared objects against kube-apiserver and the real CRDs", { skip: apiServerSkip }, () => {
  let server: ApiServer;
  const ns = "aigw-staging";
  let first: PlanResult;
  let upgrade: PlanResult;

  before(async () => {
    server = await timed("start etcd + kube-apiserver", () => startApiServer(toolchain?.etcd?.path as string, toolchain?.["kube-apiserver"]?.path as string));
    const crds = fs.readdirSync(path.join(SHARED, "crds")).map((f) => path.join(SHARED, "crds", f));
    const r = await timed("apply CRDs", () => server.kubectl(["apply", "--server-side", ...crds.flatMap((f) => ["-f", f])]));
    assert.equal(r.status, 0, r.stderr);
    const established = server.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
    assert.equal(established.status, 0, established.stderr);
    first = await plan({ stack: "staging", sets: ["release=1.5.0", "console.blue=1.5.0", "console.green=1.5.0", "awaitRollouts=false"] });
    upgrade = await plan({ stack: "staging", sets: ["release=1.5.1", "upgrade.from=1.5.0", "upgrade.gatewayCanaryPercent=10", "console.blue=1.5.0", "console.green=1.5.1", "awaitRollouts=false"] });
  });
  after(async () => {
    await server?.stop();
    console.log(`e2e step timings (ms): ${JSON.stringify(timings)}`);
  });

  it("first deploy at 1.5.0: the API server accepts every object, with no Pod Security warning", async () => {
    const objects = manifests(first);
    const r = await timed("first deploy apply", () => applyAll(server, objects));
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /would violate PodSecurity/);
    assert.equal(r.stdout.trim().split("\n").length, objects.length, r.stdout);
    const api = get(server, "deployment", "api", ns) as Manifest & { spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(api.spec.template.spec.containers[0].image, getRelease(catalog, "1.5.0").components.api.image);
    const cluster = get(server, "clusters.postgresql.cnpg.io", "platform-db", ns) as Manifest & { spec: { imageName: string; plugins: { name: string }[] } };
    assert.equal(cluster.spec.imageName, getRelease(catalog, "1.5.0").postgres.image);
    assert.equal(cluster.spec.plugins[0].name, "barman-cloud.cloudnative-pg.io");
    assert.equal(get(server, "namespace", ns).metadata.name, ns);
  });

  it("Pod Security admission is really on: a pod template that escalates privileges is warned about", () => {
    const bad = structuredClone(manifests(first).find((o) => o.kind === "Deployment" && o.metadata.name === "worker-export")) as Manifest & { spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } } };
    bad.metadata.name = "e2e-privileged";
    bad.spec.template.spec.containers[0].securityContext = { allowPrivilegeEscalation: true, runAsNonRoot: false };
    const r = server.kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], JSON.stringify(bad));
    assert.match(r.stderr, /would violate PodSecurity "restricted:latest"/);
  });

  it("upgrade window to 1.5.1: backups, canary and route land, and stateful objects keep their identity", async () => {
    const uids = Object.fromEntries(["platform-db", "keycloak-db"].flatMap((db) => [
      [`cluster/${db}`, get(server, "clusters.postgresql.cnpg.io", db, ns).metadata.uid],
      [`objectstore/${db}-store`, get(server, "objectstores.barmancloud.cnpg.io", `${db}-store`, ns).metadata.uid],
    ]));
    const r = await timed("upgrade apply", () => applyAll(server, manifests(upgrade)));
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /would violate PodSecurity/);
    const backup = get(server, "backups.postgresql.cnpg.io", "pre-upgrade-platform-db-1-5-0-to-1-5-1", ns) as Manifest & { metadata: { annotations: Record<string, string> }; spec: { cluster: { name: string } } };
    assert.equal(backup.spec.cluster.name, "platform-db");
    assert.equal(backup.metadata.annotations["pulumi.com/waitFor"], "jsonpath={.status.phase}=completed");
    const image = (name: string) => (get(server, "deployment", name, ns) as Manifest & { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0].image;
    assert.equal(image("api"), getRelease(catalog, "1.5.1").components.api.image);
    assert.equal(image("gateway"), getRelease(catalog, "1.5.0").components.gateway.image, "stable keeps upgrade.from");
    assert.equal(image("gateway-canary"), getRelease(catalog, "1.5.1").components.gateway.image);
    const route = get(server, "httproutes.gateway.networking.k8s.io", "gateway", ns) as Manifest & { spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } };
    assert.deepEqual(route.spec.rules[0].backendRefs.map((b) => [b.name, b.weight]), [["gateway-stable", 90], ["gateway-canary", 10]]);
    for (const [key, uid] of Object.entries(uids)) {
      const [kind, name] = key.split("/");
      const full = kind === "cluster" ? "clusters.postgresql.cnpg.io" : "objectstores.barmancloud.cnpg.io";
      assert.equal(get(server, full, name, ns).metadata.uid, uid, `${key} was not replaced`);
    }
  });

  it("applying the same set again changes nothing (every resourceVersion stays)", async () => {
    const objects = manifests(upgrade);
    const versions = () => objects.map((o) => `${o.kind}/${o.metadata.name}=${get(server, o.kind, o.metadata.name, o.metadata.namespace).metadata.resourceVersion}`);
    const before = versions();
    const r = await timed("idempotent re-apply", () => applyAll(server, objects));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(versions(), before);
  });
});

describe("Pulumi engine (Automation API, file:// backend)", () => {
  const steps = [
    "2.1 first deploy: preview, then up, of an e2e stack at the older of two adjacent releases",
    "2.2 upgrade: the engine's events order the Backup before the API, the API before gateways, gateways before the console, the API before workers; nothing stateful replaced",
    "2.3 policy pack: preview --policy-pack policy passes a compliant stack and fails a violating one with the policy id",
    "2.4 idempotence and recovery: a second up makes 0 changes; an up killed midway converges on re-run",
  ];
  for (const step of steps) it(step, { skip: engineSkip || "engine steps are not implemented yet although the toolchain is present" }, () => {});
});
