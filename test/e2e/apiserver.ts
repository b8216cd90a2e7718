/**
 * A real Kubernetes API server on loopback for the e2e tier: etcd and kube-apiserver from the toolchain
 * (scripts/toolchain.sh), serving certificates generated at start, and a client credential in a temp
 * kubeconfig. Optionally the real kube-controller-manager with the controllers every cluster runs whether
 * or not it runs pods (the garbage collector and the namespace controller: the Kubernetes provider deletes
 * in the foreground, which only the garbage collector completes). No kubelet or scheduler: objects are
 * stored and validated, nothing runs.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function openssl(cwd: string, ...args: string[]): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
}

/** A CA, a serving certificate for 127.0.0.1, a system:masters client certificate and a service-account key pair. */
function generateCerts(dir: string): void {
  openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=lockstep-e2e-ca",
  );
  fs.writeFileSync(
    path.join(dir, "san.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=kube-apiserver",
  );
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "1",
    "-extfile",
    "san.ext",
  );
  fs.writeFileSync(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "client.key",
    "-out",
    "client.csr",
    "-subj",
    "/O=system:masters/CN=lockstep-e2e-admin",
  );
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "client.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "client.crt",
    "-days",
    "1",
    "-extfile",
    "client.ext",
  );
  openssl(dir, "genrsa", "-out", "sa.key", "2048");
  openssl(dir, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

/**
 * The tier's long-running processes of one kind (etcd and the API server; the simulated cluster's
 * controllers): each one's recent output kept for a failure message, all stopped in reverse order with
 * SIGTERM and at most 5 s each.
 */
export class Processes {
  private readonly output: Record<string, string> = {};
  private readonly children: ChildProcess[] = [];

  constructor(private readonly cwd: string) {}

  launch(name: string, bin: string, args: string[]): void {
    const child = spawn(bin, args, { cwd: this.cwd, stdio: ["ignore", "pipe", "pipe"] });
    this.output[name] = "";
    const keep = (d: Buffer) => {
      this.output[name] = (this.output[name] + d.toString()).slice(-20_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.children.push(child);
  }

  /** A process that has exited already, if any. */
  exited(): ChildProcess | undefined {
    return this.children.find((c) => c.exitCode !== null);
  }

  /** The last `chars` of each process's output, named. */
  logs(chars = 3000): string {
    return Object.entries(this.output)
      .map(([name, text]) => `--- ${name}:\n${text.slice(-chars)}`)
      .join("\n");
  }

  async stop(): Promise<void> {
    for (const child of [...this.children].reverse()) {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => {
          child.once("exit", r);
          setTimeout(r, 5000);
        });
      }
    }
  }
}

export interface ApiServer {
  kubeconfig: string;
  dir: string;
  kubectl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not become ready in ${timeoutMs / 1000} s:\n${logs().slice(-3000)}`);
}

/** The controllers of a cluster that runs no pods: foreground deletes and namespace deletion complete. */
export const HOUSEKEEPING_CONTROLLERS = ["garbage-collector-controller", "namespace-controller"];

/**
 * Starts etcd and kube-apiserver and, when `controllerManager` is given, kube-controller-manager with only
 * the housekeeping controllers (a simulated cluster runs its own, with more).
 */
export async function startApiServer(
  etcdBin: string,
  apiServerBin: string,
  controllerManager?: string,
): Promise<ApiServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-apiserver-"));
  generateCerts(dir);
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
  const processes = new Processes(dir);
  processes.launch("etcd", etcdBin, [
    "--name",
    "e2e",
    "--data-dir",
    path.join(dir, "etcd"),
    "--listen-client-urls",
    `http://127.0.0.1:${etcdClient}`,
    "--advertise-client-urls",
    `http://127.0.0.1:${etcdClient}`,
    "--listen-peer-urls",
    `http://127.0.0.1:${etcdPeer}`,
    "--initial-advertise-peer-urls",
    `http://127.0.0.1:${etcdPeer}`,
    "--initial-cluster",
    `e2e=http://127.0.0.1:${etcdPeer}`,
  ]);
  processes.launch("apiserver", apiServerBin, [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${securePort}`,
    `--tls-cert-file=${dir}/server.crt`,
    `--tls-private-key-file=${dir}/server.key`,
    `--client-ca-file=${dir}/ca.crt`,
    "--service-account-issuer=https://kubernetes.default.svc",
    `--service-account-key-file=${dir}/sa.pub`,
    `--service-account-signing-key-file=${dir}/sa.key`,
    "--service-cluster-ip-range=10.96.0.0/16",
    "--authorization-mode=RBAC",
    "--allow-privileged=false",
    "--enable-priority-and-fairness=false",
    `--cert-dir=${dir}/certs`,
  ]);
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:${securePort}
    certificate-authority: ${dir}/ca.crt
users:
- name: admin
  user:
    client-certificate: ${dir}/client.crt
    client-key: ${dir}/client.key
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
`,
  );
  const kubectl = (args: string[], input?: string) => {
    const r = spawnSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
      encoding: "utf8",
      input,
      timeout: 120_000,
      maxBuffer: 256 * 1024 * 1024,
    });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
  const stop = async () => {
    await processes.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "kube-apiserver",
      () => kubectl(["get", "--raw", "/readyz"]).stdout.trim() === "ok",
      120_000,
      () => processes.logs(),
    );
    if (controllerManager) {
      processes.launch("kube-controller-manager", controllerManager, [
        `--kubeconfig=${kubeconfig}`,
        "--leader-elect=false",
        "--secure-port=0",
        `--controllers=${HOUSEKEEPING_CONTROLLERS.join(",")}`,
      ]);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { kubeconfig, dir, kubectl, stop };
}

/** CRD files in ../shared/crds by group: what a cluster provides before lockstep runs, and what charts install. */
export const PREREQUISITE_CRDS = [
  "cert-manager.io_certificates.yaml",
  "cert-manager.io_issuers.yaml",
  "gateway.networking.k8s.io_gateways.yaml",
  "gateway.networking.k8s.io_httproutes.yaml",
];
/** Installed by the cloudnative-pg and plugin-barman-cloud charts themselves (`crds.create: true`). */
export const CHART_CRDS = [
  "postgresql.cnpg.io_backups.yaml",
  "postgresql.cnpg.io_clusters.yaml",
  "postgresql.cnpg.io_scheduledbackups.yaml",
  "barmancloud.cnpg.io_objectstores.yaml",
];
export const OPERATOR_CRDS = ["pulumi.com_stacks.yaml", "auto.pulumi.com_workspaces.yaml"];

/** Applies CRD files from `dir` and waits until every one is Established. */
export async function applyCrds(server: ApiServer, dir: string, files: readonly string[]): Promise<void> {
  const r = server.kubectl(["apply", "--server-side", ...files.flatMap((f) => ["-f", path.join(dir, f)])]);
  if (r.status !== 0) throw new Error(`applying CRDs ${files.join(", ")} failed: ${r.stderr}`);
  const established = server.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
  if (established.status !== 0) throw new Error(`CRDs did not become Established: ${established.stderr}`);
}
