/**
 * lockstep:cluster: an install's own cluster, for the provider, the program's kubectl scripts and
 * preflight, so a machine driving a fleet never acts on whichever context its shell selected.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { editStackConfig } from "../../lib/config/stackFile";
import { env, lockstep, tempProject } from "../cliKit";
import { ofType, planStack, PROJECT } from "../helpers";

const PROVIDER = "pulumi:providers:kubernetes";
const COMMAND = "command:local:Command";
/** Commands whose scripts call kubectl (the smoke test calls the platform's URLs only). */
const KUBECTL_SCRIPTS = /^(await-|openbao-snapshot-|openbao-restore-|writers-down-|restore-drill-)/;

describe("lockstep:cluster in the program", () => {
  it("points the provider and every kubectl script at the named kubeconfig and context", async () => {
    const result = await planStack(
      "staging",
      "deployed=1.5.0",
      "cluster.kubeconfig=clusters/acme-eu.yaml",
      "cluster.context=acme",
    );
    const [provider] = ofType(result, PROVIDER);
    assert.equal(
      provider.props.kubeconfig,
      path.join(PROJECT, "clusters", "acme-eu.yaml"),
      "a relative path is the project's",
    );
    assert.equal(provider.props.context, "acme");
    const scripts = ofType(result, COMMAND).filter((c) => KUBECTL_SCRIPTS.test(c.name));
    assert.deepEqual(scripts.map((c) => c.name).sort(), [
      "await-keycloak-db-1-5-0-to-1-5-1",
      "await-platform-db-1-5-0-to-1-5-1",
      "openbao-snapshot-1-5-0-to-1-5-1",
    ]);
    for (const c of scripts) {
      const environment = c.props.environment as Record<string, string>;
      assert.equal(environment.KUBECONFIG, path.join(PROJECT, "clusters", "acme-eu.yaml"), c.name);
      assert.equal(environment.KUBE_CONTEXT, "acme", c.name);
    }
  });

  it("keeps an absolute kubeconfig path as written and leaves the context to the file when none is named", async () => {
    const result = await planStack("staging", "deployed=1.5.0", "cluster.kubeconfig=/etc/lockstep/acme.yaml");
    const [provider] = ofType(result, PROVIDER);
    assert.equal(provider.props.kubeconfig, "/etc/lockstep/acme.yaml");
    assert.equal(provider.props.context, undefined);
    const snapshot = ofType(result, COMMAND).find((c) => c.name.startsWith("openbao-snapshot-"));
    assert.deepEqual(
      Object.keys(snapshot?.props.environment as object).filter((k) => k.startsWith("KUBE")),
      ["KUBECONFIG"],
    );
  });

  // Found by the real provider: it replaces a ConfigMap whose data changes unless told otherwise, so
  // every up deleted the release record and created it again.
  it("updates ConfigMaps in place, so the release record is never deleted and created again", async () => {
    const [provider] = ofType(await planStack("staging"), PROVIDER);
    assert.equal(provider.props.enableConfigMapMutable, "true", "provider inputs travel as strings");
    assert.equal(provider.props.enableServerSideApply, "true");
  });

  it("without it, changes nothing: kubectl's own KUBECONFIG and current context, the scripts' inputs as before", async () => {
    const result = await planStack("staging", "deployed=1.5.0");
    const [provider] = ofType(result, PROVIDER);
    assert.equal(provider.props.kubeconfig, undefined);
    for (const c of ofType(result, COMMAND)) {
      assert.deepEqual(
        Object.keys(c.props.environment as object).filter((k) => k.startsWith("KUBE")),
        [],
        c.name,
      );
    }
  });

  it("refuses a cluster without a kubeconfig, or with a field it does not know, naming the key", async () => {
    await assert.rejects(
      planStack("staging", "cluster.context=acme"),
      /lockstep:cluster\.kubeconfig = \(unset\): is required: the path of the install.s kubeconfig file/,
    );
    await assert.rejects(
      planStack("staging", "cluster.kubeconfig=a.yaml", "cluster.namespace=x"),
      /lockstep:cluster\.namespace = \(not shown\): unknown field; allowed fields are kubeconfig, context/,
    );
    await assert.rejects(
      planStack("staging", "cluster.kubeconfig="),
      /lockstep:cluster\.kubeconfig = "": must be the path of a kubeconfig file/,
    );
  });
});

describe("lockstep:cluster in preflight", () => {
  const target = (dir: string, cluster: Record<string, string>) => {
    const file = path.join(dir, "Pulumi.staging.yaml");
    fs.writeFileSync(file, editStackConfig(file, fs.readFileSync(file, "utf8"), { cluster }));
  };

  it("asks the stack's cluster, never the shell's current context", async () => {
    const dir = tempProject();
    target(dir, { kubeconfig: "clusters/staging.yaml", context: "staging-east" });
    fs.mkdirSync(path.join(dir, "clusters"));
    fs.writeFileSync(path.join(dir, "clusters", "staging.yaml"), "apiVersion: v1\nkind: Config\n");
    const calls: string[][] = [];
    const r = await lockstep(
      env(dir, { kubectlCalls: calls }),
      "preflight",
      "--stack",
      "staging",
      "--skip-plan",
      "--json",
    );
    assert.equal(r.code, 0, r.stdout);
    assert.ok(
      calls.length >= 2,
      `preflight asked the cluster for the database and its backups (${calls.length} calls)`,
    );
    for (const args of calls)
      assert.deepEqual(
        args.slice(0, 4),
        ["--kubeconfig", path.join(dir, "clusters", "staging.yaml"), "--context", "staging-east"],
        args.join(" "),
      );
  });

  it("without it, leaves kubectl's target alone", async () => {
    const calls: string[][] = [];
    await lockstep(
      env(tempProject(), { kubectlCalls: calls }),
      "preflight",
      "--stack",
      "staging",
      "--skip-plan",
      "--json",
    );
    assert.ok(calls.length >= 2);
    for (const args of calls)
      assert.equal(
        args.some((a) => a === "--kubeconfig" || a === "--context"),
        false,
        args.join(" "),
      );
  });
});

describe("a stack whose kubeconfig is missing", () => {
  const withCluster = (kubeconfig: string) => {
    const dir = tempProject();
    const file = path.join(dir, "Pulumi.staging.yaml");
    fs.writeFileSync(file, editStackConfig(file, fs.readFileSync(file, "utf8"), { cluster: { kubeconfig } }));
    return dir;
  };

  it("fails preflight's cluster kubeconfig row and asks kubectl nothing, for no file and for a directory", async () => {
    for (const [where, reason] of [
      [
        "clusters/gone.yaml",
        /^lockstep:cluster\.kubeconfig .*clusters\/gone\.yaml: no such file; without it nothing can reach the install's cluster$/,
      ],
      ["releases", /^lockstep:cluster\.kubeconfig .*releases: not a file$/],
    ] as const) {
      const dir = withCluster(where);
      const calls: string[][] = [];
      const r = await lockstep(
        env(dir, { kubectlCalls: calls }),
        "preflight",
        "--stack",
        "staging",
        "--skip-plan",
        "--json",
      );
      assert.equal(r.code, 1, r.stdout);
      const rows = JSON.parse(r.stdout).rows as { check: string; status: string; reason: string }[];
      const row = rows.find((x) => x.check === "cluster kubeconfig");
      assert.equal(row?.status, "✗");
      assert.match(row?.reason ?? "", reason);
      assert.deepEqual(calls, [], "kubectl would have fallen back to the shell's cluster");
    }
  });
});

describe("a kubeconfig smuggled in under lockstep:__proto__", () => {
  it("is refused before preflight runs kubectl on it", async () => {
    const dir = tempProject();
    const file = path.join(dir, "Pulumi.staging.yaml");
    fs.appendFileSync(file, "  lockstep:__proto__:\n    cluster:\n      kubeconfig: /tmp/evil-kubeconfig\n");
    const calls: string[][] = [];
    const r = await lockstep(env(dir, { kubectlCalls: calls }), "preflight", "--stack", "staging", "--skip-plan");
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /Pulumi\.staging\.yaml: lockstep:__proto__: "__proto__" is not a config key or field/);
    assert.deepEqual(calls, [], "no kubectl ran");
  });
});
