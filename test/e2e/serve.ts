/**
 * `npm run apiserver`: starts the e2e's etcd + kube-apiserver on loopback, applies the CRDs from
 * ../shared/crds, prints the kubeconfig to use, and keeps running until Ctrl-C.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SHARED } from "../helpers";
import { readToolchain, startApiServer, toolchainDir } from "./apiserver";

async function main(): Promise<number> {
  const toolchain = readToolchain();
  const etcd = toolchain?.etcd;
  const apiserver = toolchain?.["kube-apiserver"];
  if (etcd?.status !== "built" || apiserver?.status !== "built") {
    process.stderr.write(`apiserver: etcd and kube-apiserver are not built; run \`npm run toolchain\` first (status: ${path.join(toolchainDir(), "toolchain.json")})\n`);
    return 2;
  }
  process.stderr.write(`apiserver: starting etcd ${etcd.version} and kube-apiserver ${apiserver.version} on 127.0.0.1\n`);
  const server = await startApiServer(etcd.path as string, apiserver.path as string);
  const crdDir = path.join(SHARED, "crds");
  if (fs.existsSync(crdDir)) {
    const r = server.kubectl(["apply", "--server-side", ...fs.readdirSync(crdDir).flatMap((f) => ["-f", path.join(crdDir, f)])]);
    process.stderr.write(r.status === 0 ? `apiserver: applied the CRDs from ${crdDir}\n` : `apiserver: applying CRDs failed: ${r.stderr}\n`);
  } else {
    process.stderr.write(`apiserver: ${crdDir} is absent; no CRDs applied\n`);
  }
  process.stdout.write(`export KUBECONFIG=${server.kubeconfig}\n`);
  process.stderr.write("apiserver: ready; Ctrl-C stops it and deletes its data\n");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.stop();
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`apiserver: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
