/**
 * `npm run apiserver`: the e2e tier's API server for manual use. Starts etcd and kube-apiserver on
 * loopback, applies the CRDs a cluster provides before lockstep runs (Gateway API, cert-manager; the
 * CNPG and Barman Cloud charts install their own), runs the CNPG status double, and prints the
 * environment that puts the real Pulumi CLI, Helm and the provider test doubles on PATH against it.
 * Keeps running until Ctrl-C, then deletes its data.
 *
 *   npm run apiserver [-- --all-crds]     --all-crds also applies the CNPG, Barman Cloud and Pulumi
 *                                         Kubernetes Operator CRDs (for `kubectl apply` experiments)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { applyCrds, CHART_CRDS, OPERATOR_CRDS, PREREQUISITE_CRDS, startApiServer } from "./apiserver";
import { CnpgStatusDouble } from "./doubles/cnpgStatus";
import { engineEnv, PROJECT } from "./tier";
import { requireShared, requireToolchain } from "./toolchain";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { "all-crds": { type: "boolean", default: false } }, strict: true });
  const shared = requireShared(PROJECT);
  const tools = requireToolchain("etcd", "kube-apiserver");
  process.stderr.write(`apiserver: starting etcd and kube-apiserver on 127.0.0.1\n`);
  const server = await startApiServer(tools.etcd, tools["kube-apiserver"]);
  const crds = [...PREREQUISITE_CRDS, ...(values["all-crds"] ? [...CHART_CRDS, ...OPERATOR_CRDS] : [])];
  await applyCrds(server, path.join(shared, "crds"), crds);
  process.stderr.write(`apiserver: applied ${crds.length} CRDs from ${path.join(shared, "crds")}\n`);
  const cnpg = new CnpgStatusDouble({ kubeconfig: server.kubeconfig });
  cnpg.start();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-serve-"));
  const env = engineEnv(root, server.kubeconfig);
  process.stdout.write(`${Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join("\n")}\n`);
  process.stderr.write("apiserver: ready. Paste the exports above into another shell (the provider plugins there are test doubles); Ctrl-C stops the server and deletes its data\n");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await cnpg.stop();
  await server.stop();
  fs.rmSync(root, { recursive: true, force: true });
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`apiserver: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
