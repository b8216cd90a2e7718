/**
 * Every object the program declares, applied straight to the real API server (kubectl, server-side):
 * a fast conformance check, without the engine, of what the real-engine suite (engine.e2e.ts) deploys.
 * The API server validates each object against its schema (the real CRDs, core validation) and runs Pod
 * Security admission on the platform namespace. Needs the toolchain (`npm run test:e2e` builds it) and
 * ../shared; without them the suite fails, saying which part is missing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog } from "../../lib/release/catalog";
import { renderOperatorStacks } from "../../lib/fleet/operatorExport";
import { plan, PlanResult } from "../../plan/plan";
import { PROJECT } from "../helpers";
import { ApiServer, startApiServer } from "./apiserver";
import { requireShared, requireToolchain } from "./toolchain";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
} & Record<string, unknown>;

/**
 * Values known only once the deployment ran (a window's backup ids) are unknown in the offline plan; the engine
 * sends the API server strings there. Here they stand as a string, so the object is applied as the engine would.
 */
function withUnknownsAsStrings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withUnknownsAsStrings);
  if (value && typeof value === "object") {
    if ((value as { __pulumiUnknown?: boolean }).__pulumiUnknown) return "unknown-at-preview";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withUnknownsAsStrings(v)]));
  }
  return value;
}

/** The Kubernetes objects of a plan, as manifests, namespaces first (Helm releases and commands are not objects). */
function manifests(result: PlanResult): Manifest[] {
  const objects = result.resources
    .filter(
      (r) =>
        r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release" && !r.type.startsWith("pulumi:"),
    )
    .map((r) => withUnknownsAsStrings(r.props) as Manifest);
  return [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
}

function applyAll(server: ApiServer, objects: Manifest[]) {
  return server.kubectl(
    ["apply", "--server-side", "--field-manager=lockstep-e2e", "--force-conflicts", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
  );
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

describe("real API server: the declared objects against kube-apiserver and the real CRDs", () => {
  let server: ApiServer;
  const ns = "aigw-staging";
  let first: PlanResult;
  let upgrade: PlanResult;

  before(async () => {
    const shared = requireShared(PROJECT);
    const tools = requireToolchain("etcd", "kube-apiserver");
    server = await timed("start etcd + kube-apiserver", () => startApiServer(tools.etcd, tools["kube-apiserver"]));
    const crds = fs.readdirSync(path.join(shared, "crds")).map((f) => path.join(shared, "crds", f));
    const r = await timed("apply CRDs", () =>
      server.kubectl(["apply", "--server-side", ...crds.flatMap((f) => ["-f", f])]),
    );
    assert.equal(r.status, 0, r.stderr);
    const established = server.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
    assert.equal(established.status, 0, established.stderr);
    first = await plan({
      stack: "staging",
      sets: ["release=1.5.0", "console.blue=1.5.0", "console.green=1.5.0", "awaitRollouts=false"],
    });
    upgrade = await plan({
      stack: "staging",
      deployed: "1.5.0",
      sets: [
        "release=1.5.1",
        "upgrade.gatewayCanaryPercent=10",
        "console.blue=1.5.0",
        "console.green=1.5.1",
        "awaitRollouts=false",
      ],
    });
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
    const api = get(server, "deployment", "api", ns) as Manifest & {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(api.spec.template.spec.containers[0].image, getRelease(catalog, "1.5.0").components.api.image);
    const cluster = get(server, "clusters.postgresql.cnpg.io", "platform-db", ns) as Manifest & {
      spec: { imageName: string; plugins: { name: string }[] };
    };
    assert.equal(cluster.spec.imageName, getRelease(catalog, "1.5.0").postgres.image);
    assert.equal(cluster.spec.plugins[0].name, "barman-cloud.cloudnative-pg.io");
    assert.equal(get(server, "namespace", ns).metadata.name, ns);
  });

  it("the real charts, rendered with the program's values, run only pods the restricted profile admits", () => {
    const helm = requireToolchain("helm").helm;
    const charts = path.join(requireShared(PROJECT), "charts");
    const releases = first.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
    assert.equal(releases.length, 5);
    let pods = 0;
    // No controller manager runs here to create the namespace's default ServiceAccount that pods fall back to.
    assert.equal(server.kubectl(["create", "serviceaccount", "default", "-n", ns]).status, 0);
    for (const release of releases) {
      const props = release.props as {
        name: string;
        namespace: string;
        chart: string;
        version: string;
        values: Record<string, unknown>;
      };
      const dir = fs.mkdtempSync(path.join(server.dir, "values-"));
      fs.writeFileSync(path.join(dir, "values.json"), JSON.stringify(props.values));
      const rendered = spawnSync(
        helm,
        [
          "template",
          props.name,
          path.join(charts, `${props.chart}-${props.version}`),
          "--namespace",
          ns,
          "--kube-version",
          "1.31.0",
          "--values",
          path.join(dir, "values.json"),
        ],
        { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      );
      assert.equal(rendered.status, 0, `${props.name}: ${rendered.stderr}`);
      const templates = parseAllDocuments(rendered.stdout)
        .map((d) => d.toJSON() as Manifest & { spec?: { template?: { spec?: unknown; metadata?: unknown } } })
        .filter((o) => o && ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind) && o.spec?.template);
      for (const workload of templates) {
        // Each pod the chart would run, submitted as a Pod to the restricted namespace: admission enforces there.
        // The chart's ServiceAccounts are not installed here; Pod Security admission does not look at them.
        const {
          serviceAccountName: _sa,
          serviceAccount: _legacy,
          ...spec
        } = (workload.spec?.template?.spec ?? {}) as Record<string, unknown>;
        // A StatefulSet's claim templates become volumes of its pods; here they stand as emptyDirs.
        const claims = (
          (workload.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] } | undefined)
            ?.volumeClaimTemplates ?? []
        ).map((c) => ({ name: c.metadata.name, emptyDir: {} }));
        spec.volumes = [...((spec.volumes as unknown[] | undefined) ?? []), ...claims];
        const pod = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: `psa-${workload.metadata.name}`.slice(0, 63), namespace: ns },
          spec,
        };
        const r = server.kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(pod));
        assert.equal(
          r.status,
          0,
          `${props.name}: ${workload.kind} ${workload.metadata.name}'s pod is refused: ${r.stderr}`,
        );
        assert.doesNotMatch(r.stderr, /would violate PodSecurity/);
        pods++;
      }
    }
    assert.ok(pods >= 5, `checked ${pods} chart pods (operator, plugin, Keycloak, OpenBao, Prometheus)`);
  });

  it("Pod Security admission is really on: a pod template that escalates privileges is warned about", () => {
    const bad = structuredClone(
      manifests(first).find((o) => o.kind === "Deployment" && o.metadata.name === "worker-export"),
    ) as Manifest & { spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } } };
    bad.metadata.name = "e2e-privileged";
    bad.spec.template.spec.containers[0].securityContext = { allowPrivilegeEscalation: true, runAsNonRoot: false };
    const r = server.kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], JSON.stringify(bad));
    assert.match(r.stderr, /would violate PodSecurity "restricted:latest"/);
  });

  it("upgrade window to 1.5.1: backups, canary and route land, and stateful objects keep their identity", async () => {
    const uids = Object.fromEntries(
      ["platform-db", "keycloak-db"].flatMap((db) => [
        [`cluster/${db}`, get(server, "clusters.postgresql.cnpg.io", db, ns).metadata.uid],
        [`objectstore/${db}-store`, get(server, "objectstores.barmancloud.cnpg.io", `${db}-store`, ns).metadata.uid],
      ]),
    );
    const r = await timed("upgrade apply", () => applyAll(server, manifests(upgrade)));
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /would violate PodSecurity/);
    const backup = get(
      server,
      "backups.postgresql.cnpg.io",
      "pre-upgrade-platform-db-1-5-0-to-1-5-1",
      ns,
    ) as Manifest & { metadata: { annotations: Record<string, string> }; spec: { cluster: { name: string } } };
    assert.equal(backup.spec.cluster.name, "platform-db");
    assert.equal(
      backup.metadata.annotations["pulumi.com/skipAwait"],
      "true",
      "awaited by its check Command, which fails fast",
    );
    const image = (name: string) =>
      (
        get(server, "deployment", name, ns) as Manifest & {
          spec: { template: { spec: { containers: { image: string }[] } } };
        }
      ).spec.template.spec.containers[0].image;
    assert.equal(image("api"), getRelease(catalog, "1.5.1").components.api.image);
    assert.equal(
      image("gateway"),
      getRelease(catalog, "1.5.0").components.gateway.image,
      "stable keeps what was deployed",
    );
    assert.equal(image("gateway-canary"), getRelease(catalog, "1.5.1").components.gateway.image);
    const route = get(server, "httproutes.gateway.networking.k8s.io", "gateway", ns) as Manifest & {
      spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
    };
    assert.deepEqual(
      route.spec.rules[0].backendRefs.map((b) => [b.name, b.weight]),
      [
        ["gateway-stable", 90],
        ["gateway-canary", 10],
      ],
    );
    for (const [key, uid] of Object.entries(uids)) {
      const [kind, name] = key.split("/");
      const full = kind === "cluster" ? "clusters.postgresql.cnpg.io" : "objectstores.barmancloud.cnpg.io";
      assert.equal(get(server, full, name, ns).metadata.uid, uid, `${key} was not replaced`);
    }
  });

  it("the fleet's Pulumi Kubernetes Operator Stacks are accepted by the API server with the operator's v2.9.0 CRDs", () => {
    const options = {
      namespace: ns,
      repo: "https://git.example/platform/lockstep.git",
      commit: "0123456789abcdef0123456789abcdef01234567",
      tokensSecret: "lockstep-tokens",
    };
    const stacks = renderOperatorStacks(
      { stack: "staging", ring: "verification", config: { "lockstep:release": "1.5.1" } },
      [
        {
          stack: "acme-eu",
          ring: "canary",
          config: { "lockstep:release": "1.5.1", "lockstep:console": { blue: "1.5.0", green: "1.5.1", live: "green" } },
        },
        { stack: "globex", ring: "broad", config: { "lockstep:release": "1.5.1" } },
      ],
      ["canary", "early", "broad"],
      options,
    );
    const workspaces = stacks.map((o) => ({
      apiVersion: "auto.pulumi.com/v1alpha1",
      kind: "Workspace",
      metadata: { name: o.metadata.name, namespace: ns },
      spec: o.spec.workspaceTemplate.spec,
    }));
    const r = server.kubectl(
      ["apply", "--server-side", "--dry-run=server", "--field-manager=lockstep-e2e", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: [...stacks, ...workspaces] }),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 6, r.stdout);
  });

  it("applying the same set again changes nothing (every resourceVersion stays)", async () => {
    const objects = manifests(upgrade);
    const versions = () =>
      objects.map(
        (o) =>
          `${o.kind}/${o.metadata.name}=${get(server, o.kind, o.metadata.name, o.metadata.namespace).metadata.resourceVersion}`,
      );
    const before = versions();
    const r = await timed("idempotent re-apply", () => applyAll(server, objects));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(versions(), before);
  });
});
