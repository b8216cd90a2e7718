/**
 * preflight's cluster rows against a kubectl fake that answers by its arguments: WAL archiving and the
 * object-store credentials of the platform database, and the age of its newest completed backup. Each row
 * must be able to fail, and must read the stack's namespace and the platform cluster only.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { CommandOutput } from "../../cli/env";
import { editStackConfig } from "../../lib/config/stackFile";
import { env, lockstep, tempProject } from "../cliKit";
import { golden } from "../goldenKit";

const NS = "aigw-staging"; // Pulumi.staging.yaml's namespace
const NOW = "2026-11-21T12:00:00Z";
const ok = (body: unknown): CommandOutput => ({
  status: 0,
  stdout: typeof body === "string" ? body : JSON.stringify(body),
  stderr: "",
});
const notFound = (what: string): CommandOutput => ({
  status: 1,
  stdout: "",
  stderr: `Error from server (NotFound): ${what} not found`,
});

interface ClusterState {
  archiving?: { status: string; message?: string } | null;
  secretKeys?: string[] | null;
  backups?: { cluster: string; hoursAgo: number; phase?: string }[];
  /** Helm's release records by namespace, as the custom columns print them: `name revision status` lines. */
  helm?: Record<string, string>;
  /** What the API server reports to `kubectl version`. @default 1.31.14 (staging types 1.31) */
  server?: string;
  /** The nodes' allocatable CPU and memory. @default one Ready node with 16 CPU and 64Gi */
  nodes?: { cpu: string; memory: string; ready?: boolean; unschedulable?: boolean }[];
}

/** Nodes as `kubectl get nodes -o json` lists them. */
function nodeList(nodes: NonNullable<ClusterState["nodes"]>) {
  return {
    items: nodes.map((n) => ({
      spec: { unschedulable: n.unschedulable ?? false },
      status: {
        allocatable: { cpu: n.cpu, memory: n.memory, pods: "110" },
        conditions: [{ type: "Ready", status: n.ready === false ? "False" : "True" }],
      },
    })),
  };
}

/** Every chart deployed, each with an older superseded revision. */
const HELM_OK: Record<string, string> = {
  "cnpg-system": "cnpg 1 superseded\ncnpg 2 deployed\nbarman-cloud 1 deployed",
  [NS]: "keycloak 1 superseded\nkeycloak 2 deployed\nopenbao 1 deployed",
};

/**
 * A cluster as kubectl reports it; anything asked outside the stack's namespace is not found, but for
 * Helm's release records in the operators' namespace.
 */
function cluster(state: ClusterState) {
  return (args: string[]): CommandOutput => {
    if (args[0] === "version")
      return ok({
        clientVersion: { gitVersion: "v1.31.0" },
        serverVersion: { gitVersion: `v${state.server ?? "1.31.14"}` },
      });
    if (args[1] === "nodes") return ok(nodeList(state.nodes ?? [{ cpu: "16", memory: "64Gi" }]));
    if (args[1] === "pods" && args.includes("--all-namespaces")) return ok({ items: [] });
    const ns = args[args.indexOf("-n") + 1];
    if (args[1] === "secrets" && args.includes("owner=helm")) {
      const columns = (state.helm ?? HELM_OK)[ns];
      return columns === undefined ? notFound(`namespace ${ns}`) : ok(columns);
    }
    if (ns !== NS) return notFound(`namespace ${ns}`);
    if (args[1] === "clusters.postgresql.cnpg.io") {
      if (args[2] !== "platform-db") return notFound(`clusters.postgresql.cnpg.io "${args[2]}"`);
      const conditions =
        state.archiving === null ? [] : [{ type: "ContinuousArchiving", ...(state.archiving ?? { status: "True" }) }];
      return ok({ metadata: { name: "platform-db" }, status: { conditions } });
    }
    if (args[1] === "secret") {
      if (state.secretKeys === null || args[2] !== "backup-s3-credentials") return notFound(`secrets "${args[2]}"`);
      return ok(
        Object.fromEntries((state.secretKeys ?? ["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"]).map((k) => [k, "eA=="])),
      );
    }
    if (args[1] === "backups.postgresql.cnpg.io") {
      return ok({
        items: (state.backups ?? [{ cluster: "platform-db", hoursAgo: 2 }]).map((b) => ({
          spec: { cluster: { name: b.cluster } },
          status: {
            phase: b.phase ?? "completed",
            stoppedAt: new Date(Date.parse(NOW) - b.hoursAgo * 3_600_000).toISOString(),
          },
        })),
      });
    }
    return { status: 1, stdout: "", stderr: `unexpected kubectl ${args.join(" ")}` };
  };
}

async function rows(state: ClusterState) {
  const calls: string[][] = [];
  const r = await lockstep(
    env(tempProject(), { kubectl: cluster(state), kubectlCalls: calls, now: NOW }),
    "preflight",
    "--stack",
    "staging",
    "--skip-plan",
    "--json",
  );
  const byCheck = Object.fromEntries(
    (JSON.parse(r.stdout).rows as { check: string; status: string; reason: string }[]).map((x) => [x.check, x]),
  );
  return { code: r.code, byCheck, calls };
}

describe("preflight: the cluster's Kubernetes version", () => {
  it("passes when the API server runs the version the stack types", async () => {
    const { byCheck } = await rows({});
    assert.equal(byCheck["cluster's Kubernetes version"].status, "✓");
    assert.equal(
      byCheck["cluster's Kubernetes version"].reason,
      "the API server reports v1.31.14, which lockstep:kubernetesVersion 1.31 names",
    );
  });
  it("fails when it runs another, saying what to type", async () => {
    const { code, byCheck } = await rows({ server: "1.30.7" });
    assert.equal(code, 1);
    assert.equal(byCheck["cluster's Kubernetes version"].status, "✗");
    assert.match(
      byCheck["cluster's Kubernetes version"].reason,
      /reports v1\.30\.7 \(kubectl version\); set it to "1\.30"$/,
    );
  });
});

describe("preflight: continuous backup", () => {
  it("passes when the platform cluster archives WAL and the credentials Secret has both keys", async () => {
    const { code, byCheck } = await rows({});
    assert.equal(code, 0);
    assert.equal(byCheck["continuous backup"].status, "✓");
    assert.match(
      byCheck["continuous backup"].reason,
      /^platform-db archives WAL to s3:\/\/aigw-backups\/staging\/ \(ContinuousArchiving True\), retention 14d, credentials in backup-s3-credentials$/,
    );
  });

  it("fails when CloudNativePG reports archiving not working, with its message", async () => {
    const { code, byCheck } = await rows({
      archiving: { status: "False", message: "unexpected failure invoking barman-cloud-wal-archive" },
    });
    assert.equal(code, 1);
    assert.equal(byCheck["continuous backup"].status, "✗");
    assert.match(
      byCheck["continuous backup"].reason,
      /platform-db does not report working WAL archiving \(ContinuousArchiving False: unexpected failure invoking barman-cloud-wal-archive\)/,
    );
  });

  it("fails when the cluster reports no archiving at all", async () => {
    const { byCheck } = await rows({ archiving: null });
    assert.equal(byCheck["continuous backup"].status, "✗");
    assert.match(byCheck["continuous backup"].reason, /ContinuousArchiving not reported/);
  });

  it("fails when the credentials Secret is missing or lacks a key", async () => {
    const missing = await rows({ secretKeys: null });
    assert.equal(missing.byCheck["continuous backup"].status, "✗");
    assert.match(
      missing.byCheck["continuous backup"].reason,
      /^Secret backup-s3-credentials in aigw-staging does not exist/,
    );
    const partial = await rows({ secretKeys: ["ACCESS_KEY_ID"] });
    assert.match(
      partial.byCheck["continuous backup"].reason,
      /^Secret backup-s3-credentials in aigw-staging lacks ACCESS_SECRET_KEY/,
    );
  });

  it("asks for the stack's platform cluster in the stack's namespace", async () => {
    const { calls } = await rows({});
    const asked = calls.filter((a) => a[1] === "clusters.postgresql.cnpg.io");
    assert.deepEqual(
      asked.map((a) => [a[2], a[a.indexOf("-n") + 1]]),
      [["platform-db", NS]],
    );
  });
});

describe("preflight: last completed backup", () => {
  it("counts only the platform cluster's completed backups", async () => {
    const other = await rows({
      backups: [
        { cluster: "keycloak-db", hoursAgo: 1 },
        { cluster: "platform-db", hoursAgo: 2, phase: "failed" },
      ],
    });
    assert.equal(other.byCheck["last completed backup"].status, "✗");
    assert.equal(other.byCheck["last completed backup"].reason, "no completed backup of platform-db in aigw-staging");
    const newest = await rows({
      backups: [
        { cluster: "platform-db", hoursAgo: 30 },
        { cluster: "platform-db", hoursAgo: 5 },
        { cluster: "keycloak-db", hoursAgo: 1 },
      ],
    });
    assert.equal(newest.byCheck["last completed backup"].status, "✓");
    assert.match(
      newest.byCheck["last completed backup"].reason,
      /^platform-db completed a backup 5\.0 h ago \(limit 24 h\)$/,
    );
  });

  it("lists backups in the stack's namespace", async () => {
    const { calls } = await rows({});
    const listed = calls.filter((a) => a[1] === "backups.postgresql.cnpg.io");
    assert.deepEqual(
      listed.map((a) => a[a.indexOf("-n") + 1]),
      [NS],
    );
  });
});

describe("preflight: Helm releases", () => {
  it("passes when every chart's newest revision is settled, and asks the operators' and the stack's namespace", async () => {
    const { code, byCheck, calls } = await rows({});
    assert.equal(code, 0);
    assert.deepEqual(byCheck["Helm releases"], {
      check: "Helm releases",
      status: "✓",
      reason: "none pending in cnpg-system or aigw-staging",
    });
    const asked = calls.filter((a) => a[1] === "secrets" && a.includes("owner=helm"));
    assert.deepEqual(
      asked.map((a) => a[a.indexOf("-n") + 1]),
      ["cnpg-system", NS],
    );
    assert.ok(
      asked.every((a) => a.some((x) => x.startsWith("custom-columns="))),
      "labels only: the records' payloads hold chart values",
    );
  });

  // Found by the real provider: an up killed while Helm upgraded leaves the release pending-upgrade, which
  // refresh and preview do not show, and the next chart upgrade fails on Helm's lock.
  it("fails on a release an interrupted upgrade left pending, naming the command that unlocks it", async () => {
    const { code, byCheck } = await rows({
      helm: { ...HELM_OK, [NS]: "keycloak 1 deployed\nkeycloak 2 pending-upgrade\nopenbao 1 deployed" },
    });
    assert.equal(code, 1);
    assert.equal(byCheck["Helm releases"].status, "✗");
    assert.equal(
      byCheck["Helm releases"].reason,
      "keycloak in aigw-staging is pending-upgrade (revision 2): run `helm rollback keycloak -n aigw-staging`; then `pulumi refresh`. An interrupted operation locked it, and Helm refuses the next upgrade",
    );
  });

  it("uninstalls an interrupted first install, which has no revision to go back to, and judges only the newest revision", async () => {
    const { byCheck } = await rows({
      helm: {
        "cnpg-system": "cnpg 1 pending-install\nbarman-cloud 1 pending-upgrade\nbarman-cloud 2 deployed",
        [NS]: "openbao 3 pending-rollback\nopenbao 2 failed",
      },
    });
    assert.equal(byCheck["Helm releases"].status, "✗");
    assert.match(
      byCheck["Helm releases"].reason,
      /^cnpg in cnpg-system is pending-install \(revision 1\): run `helm uninstall cnpg -n cnpg-system`; openbao in aigw-staging is pending-rollback \(revision 3\): run `helm rollback openbao -n aigw-staging`; then `pulumi refresh`\. An interrupted operation locked them/,
    );
  });

  it("is not checkable when kubectl cannot list them", async () => {
    const { byCheck } = await rows({ helm: { [NS]: "" } });
    assert.equal(byCheck["Helm releases"].status, "–");
    assert.match(
      byCheck["Helm releases"].reason,
      /^not checkable offline: no reachable cluster \(kubectl: Error from server \(NotFound\): namespace cnpg-system not found\)$/,
    );
  });
});

describe("preflight: deployed state", () => {
  const row = async (fakes: Parameters<typeof env>[1], ...args: string[]) => {
    const r = await lockstep(
      env(tempProject(), fakes),
      "preflight",
      "--stack",
      "staging",
      "--skip-plan",
      "--json",
      ...args,
    );
    return (JSON.parse(r.stdout).rows as { check: string; status: string; reason: string }[]).find(
      (x) => x.check === "deployed state",
    );
  };

  it("names where it read what the stack runs: --deployed, the stack's outputs, or nowhere", async () => {
    assert.deepEqual(await row({}, "--deployed", "1.5.0"), {
      check: "deployed state",
      status: "✓",
      reason: "runs 1.5.0 (--deployed 1.5.0)",
    });
    assert.deepEqual(await row({ outputs: { staging: {} } }), {
      check: "deployed state",
      status: "✓",
      reason: "nothing deployed yet (the stack has no outputs): a first install",
    });
    assert.deepEqual(await row({}), {
      check: "deployed state",
      status: "–",
      reason:
        "unknown: no Pulumi CLI to read the stack's outputs and no --deployed; the checks below assume a first install",
    });
  });
});

describe("what preflight prints, line for line", () => {
  /** The table, then every kubectl call it made, so a call with a wrong kind, flag or namespace shows too. */
  async function printed(
    name: string,
    code: number,
    state: ClusterState,
    fakes: Parameters<typeof env>[1],
    ...args: string[]
  ) {
    const dir = tempProject();
    // 1.5.1's migrations are contract: the window from 1.5.0 into the shipped stacks is coordinated.
    for (const stack of ["staging", "prod"]) {
      const file = path.join(dir, `Pulumi.${stack}.yaml`);
      fs.writeFileSync(
        file,
        editStackConfig(file, fs.readFileSync(file, "utf8"), { upgrade: { mode: "coordinated" } }),
      );
    }
    const calls: string[][] = [];
    const r = await lockstep(
      env(dir, { kubectl: cluster(state), kubectlCalls: calls, now: NOW, ...fakes }),
      "preflight",
      ...args,
    );
    assert.equal(r.code, code, r.stderr);
    golden(name, `${r.stdout}\n--- kubectl\n${calls.map((c) => c.join(" ")).join("\n")}`, dir);
  }
  const AT_1_5_0 = {
    release: { version: "1.5.0" },
    workloads: Object.fromEntries(
      ["api", "gateway", "console-blue", "console-green", "worker-export", "worker-lifecycle", "worker-config"].map(
        (w) => [w, "1.5.0"],
      ),
    ),
  };

  it("an upgrade that is ready: the window's path, the release notes, the backups, the plan's verdicts", () =>
    printed("preflight-staging-ready", 0, {}, { outputs: { staging: AT_1_5_0 } }, "--stack", "staging"));
  it("a stack that stays where it is, on an explicit --deployed, with a drill age required", () =>
    printed(
      "preflight-staging-stays",
      1,
      {},
      {},
      "--stack",
      "staging",
      "--deployed",
      "1.5.1",
      "--max-drill-age",
      "7",
      "--skip-plan",
    ));
  it("every cluster row failing: archiving off, a key missing, the newest backup too old", () =>
    printed(
      "preflight-staging-unhealthy",
      1,
      {
        archiving: { status: "False", message: "barman-cloud-wal-archive: 403" },
        secretKeys: ["ACCESS_KEY_ID"],
        backups: [{ cluster: "platform-db", hoursAgo: 30 }],
      },
      { outputs: { staging: AT_1_5_0 } },
      "--stack",
      "staging",
      "--max-backup-age",
      "12",
      "--skip-plan",
    ));
  it("kubectl answering with something other than JSON", () =>
    printed(
      "preflight-staging-garbled",
      1,
      {},
      { kubectl: () => ({ status: 0, stdout: "<html>proxy error</html>", stderr: "" }) },
      "--stack",
      "staging",
      "--skip-plan",
    ));
  it("kubectl not reaching the cluster: the rows say so with kubectl's last line, and what is configured", () =>
    printed(
      "preflight-staging-offline",
      0,
      {},
      {
        kubectl: () => ({
          status: 1,
          stdout: "",
          stderr: "\nUnable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout\n",
        }),
      },
      "--stack",
      "staging",
      "--skip-plan",
    ));
  it("moving backward without a rollback: refused, pointing to lockstep rollback", () =>
    printed(
      "preflight-staging-backward",
      1,
      {},
      {},
      "--stack",
      "staging",
      "--deployed",
      "1.5.1",
      "--to",
      "1.5.0",
      "--skip-plan",
    ));
  it("prod to a release it cannot take: the path, and the plan's other mandatory violations, not the ones with a row above", async () => {
    await printed(
      "preflight-prod-refused",
      1,
      {},
      { kubectl: undefined, outputs: { prod: AT_1_5_0 } },
      "--stack",
      "prod",
      "--to",
      "2.0.0",
    );
    const r = await lockstep(
      env(tempProject(), { outputs: { prod: AT_1_5_0 } }),
      "preflight",
      "--stack",
      "prod",
      "--to",
      "2.0.0",
      "--skip-plan",
      "--json",
    );
    assert.deepEqual([r.code, JSON.parse(r.stdout).ok], [1, false]);
    const ready = await lockstep(
      env(tempProject(), { outputs: { staging: AT_1_5_0 } }),
      "preflight",
      "--stack",
      "staging",
      "--skip-plan",
      "--json",
    );
    assert.deepEqual([ready.code, JSON.parse(ready.stdout).ok], [0, true]);
  });
  it("prod, with no cluster reachable: staging's verification of the target, the policy verdicts by the plan", () =>
    printed(
      "preflight-prod",
      0,
      {},
      {
        kubectl: undefined,
        outputs: {
          prod: AT_1_5_0,
          staging: {
            release: { version: "1.5.1" },
            verification: {
              status: "passed",
              version: "1.5.1",
              setDigest: "sha256:577ffbc3d26513311171d2be46102fb2e9081d4e00f5dbde25ff622009663878",
              verifiedAt: "2026-11-21T10:00:00Z",
            },
          },
        },
      },
      "--stack",
      "prod",
    ));
});
