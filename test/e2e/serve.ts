/**
 * `npm run apiserver`: the e2e tier's API server for manual use. Starts etcd and kube-apiserver on
 * loopback, applies the CRDs a cluster provides before lockstep runs (Gateway API, cert-manager; the
 * CNPG and Barman Cloud charts install their own), runs the CNPG status double, and prints the
 * environment that puts the real Pulumi CLI, Helm and the provider test doubles on PATH against it.
 * Keeps running until Ctrl-C, then deletes its data.
 *
 *   npm run apiserver [-- --all-crds] [-- --simulated]
 *     --all-crds    also applies the CNPG, Barman Cloud and Pulumi Kubernetes Operator CRDs (for
 *                   `kubectl apply` experiments)
 *     --simulated   also runs the simulated cluster (kube-controller-manager, kwok, the pod binder
 *                   double): Deployments roll and pods become Ready, the API's after 5 s, others after
 *                   1 s; set `lockstep:awaitRollouts true` on stacks against it
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { applyCrds, CHART_CRDS, OPERATOR_CRDS, PREREQUISITE_CRDS, startApiServer } from "./apiserver";
import { CnpgStatusDouble } from "./doubles/cnpgStatus";
import { startSimulatedCluster } from "./simulated/cluster";
import { engineEnv, PROJECT } from "./tier";
import { requireShared, requireToolchain } from "./toolchain";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { "all-crds": { type: "boolean", default: false }, simulated: { type: "boolean", default: false } },
    strict: true,
  });
  const shared = requireShared(PROJECT);
  const tools = requireToolchain("etcd", "kube-apiserver", "kube-controller-manager");
  // Checked before anything starts, so a missing part is named at once.
  const simulatedTools = values.simulated ? requireToolchain("kube-controller-manager", "kwok") : undefined;
  process.stderr.write(`apiserver: starting etcd, kube-apiserver and kube-controller-manager on 127.0.0.1\n`);
  const server = await startApiServer(
    tools.etcd,
    tools["kube-apiserver"],
    simulatedTools ? undefined : tools["kube-controller-manager"],
  );
  const crds = [...PREREQUISITE_CRDS, ...(values["all-crds"] ? [...CHART_CRDS, ...OPERATOR_CRDS] : [])];
  await applyCrds(server, path.join(shared, "crds"), crds);
  process.stderr.write(`apiserver: applied ${crds.length} CRDs from ${path.join(shared, "crds")}\n`);
  const cnpg = new CnpgStatusDouble({ kubeconfig: server.kubeconfig });
  cnpg.start();
  const simulated = simulatedTools
    ? await startSimulatedCluster(server, simulatedTools, { byApp: { api: 5000 }, otherMs: 1000 })
    : undefined;
  if (simulated)
    process.stderr.write(
      "apiserver: simulated cluster running: kube-controller-manager, kwok (node kwok-node-0), pod binder double\n",
    );
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-serve-"));
  const env = engineEnv(root, server.kubeconfig);
  process.stdout.write(
    `${Object.entries(env)
      .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
      .join("\n")}\n`,
  );
  process.stderr.write(
    "apiserver: ready. Paste the exports above into another shell (the command provider there is a test double; the Kubernetes provider is the real one); Ctrl-C stops the server and deletes its data\n",
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await cnpg.stop();
  await simulated?.stop();
  await server.stop();
  fs.rmSync(root, { recursive: true, force: true });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`apiserver: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
