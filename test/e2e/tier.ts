/**
 * The real-engine tier: the real Pulumi CLI (v3.276.0), Node.js language host (v3.68.0) and Kubernetes
 * provider (pulumi-resource-kubernetes, built from the module proxy) run this project against a real
 * kube-apiserver, with the provider's embedded Helm and the real charts from ../shared. What cannot be
 * built here stands in as named test doubles:
 *
 *   pulumi-resource-command     doubles/commandProvider.ts (the module proxy refuses the real one)
 *   pulumi-language-nodejs      doubles/languageHostShim.ts in front of the real v3.68.0 host (adds RunPlugin)
 *   the CNPG operator's status  doubles/cnpgStatus.ts (Clusters Ready with WAL archiving, Backups completed,
 *                               immediate ScheduledBackups), over HTTPS; one per API server
 *   kubectl exec into OpenBao   doubles/kubectl-exec (no container runtime: it returns a raft-snapshot-shaped archive)
 *   the platform's endpoints    doubles/platformEndpoints.ts (what the smoke test calls)
 *   the object store            doubles/objectStore.ts (S3 PUT and HEAD: where the OpenBao snapshot is uploaded)
 *   kube-scheduler              doubles/podBinder.ts, on a simulated cluster only (simulated/cluster.ts runs
 *                               the real kube-controller-manager and kwok beside the API server)
 *
 * Every process stays on loopback: the proxy variables point at a closed port, so a chart or plugin
 * download fails at once instead of leaving the machine.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { ApiServer, applyCrds, PREREQUISITE_CRDS, startApiServer } from "./apiserver";
import { CnpgStatusDouble, CnpgStatusOptions } from "./doubles/cnpgStatus";
import { run } from "./doubles/kube";
import {
  ADMIN_TOKEN,
  PlatformEndpoints,
  REALM_PATH,
  SMOKE_CLIENT,
  startPlatformEndpoints,
} from "./doubles/platformEndpoints";
import { ObjectStoreDouble, startObjectStore } from "./doubles/objectStore";
import { SimulatedCluster, startSimulatedCluster } from "./simulated/cluster";
import type { ReadinessDelays } from "./simulated/kwokStages";
import { requireShared, requireToolchain, toolchainVersions } from "./toolchain";

export const PROJECT = path.resolve(__dirname, "..", "..");
const DOUBLES = path.join(__dirname, "doubles");
export const BLOCKED_PROMPT = "test blocked content";

/** Loopback only: anything that tries to reach the internet fails at once. */
export const LOOPBACK_ENV = {
  HTTPS_PROXY: "http://127.0.0.1:9",
  HTTP_PROXY: "http://127.0.0.1:9",
  https_proxy: "http://127.0.0.1:9",
  http_proxy: "http://127.0.0.1:9",
  NO_PROXY: "127.0.0.1,localhost",
  no_proxy: "127.0.0.1,localhost",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
};

/** What docs/getting-started.md appends to a file backend's URL: no metadata sidecars. */
export const FILE_BACKEND_QUERY = "metadata=skip";

/** Files of the working tree the program needs (what a user's checkout has, minus tests and build output). */
function copyProject(to: string): void {
  const skip = new Set(["node_modules", "bin", ".git", ".lockstep", "backups", "test", ".github"]);
  fs.cpSync(PROJECT, to, {
    recursive: true,
    filter: (src) => !skip.has(path.relative(PROJECT, src).split(path.sep)[0]) || src === PROJECT,
  });
  fs.symlinkSync(path.join(PROJECT, "node_modules"), path.join(to, "node_modules"));
}

/** An executable that runs a TypeScript double with this project's Node.js and tsx. */
function launcher(file: string, target: string, env: Record<string, string> = {}): void {
  const node = path.join(PROJECT, "node_modules", ".bin", "node");
  const tsx = `file://${path.join(PROJECT, "node_modules", "tsx", "dist", "loader.mjs")}`;
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}=${JSON.stringify(v)}\n`)
    .join("");
  fs.writeFileSync(
    file,
    `#!/bin/sh\n# TEST DOUBLE launcher, written by test/e2e/tier.ts\n${exports}exec ${JSON.stringify(node)} --import ${JSON.stringify(tsx)} ${JSON.stringify(target)} "$@"\n`,
    { mode: 0o755 },
  );
}

/**
 * Writes the test doubles' launchers into `<root>/bin` and returns the environment that puts them, the
 * real CLI and Helm first on PATH, against the API server of `kubeconfig`, on loopback only. `npm run
 * apiserver` prints the same environment for manual use.
 */
export function engineEnv(root: string, kubeconfig: string): Record<string, string> {
  const tools = requireToolchain("pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "helm");
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin, { recursive: true });
  launcher(path.join(bin, "pulumi-language-nodejs"), path.join(DOUBLES, "languageHostShim.ts"), {
    LOCKSTEP_REAL_LANGUAGE_HOST: tools["pulumi-language-nodejs"],
  });
  // The real provider, found on PATH as an ambient plugin: the CLI uses it whatever version it reports.
  fs.rmSync(path.join(bin, "pulumi-resource-kubernetes"), { force: true });
  fs.symlinkSync(tools["pulumi-resource-kubernetes"], path.join(bin, "pulumi-resource-kubernetes"));
  launcher(path.join(bin, "pulumi-resource-command"), path.join(DOUBLES, "commandProvider.ts"));
  fs.copyFileSync(path.join(DOUBLES, "kubectl-exec"), path.join(bin, "kubectl-exec"));
  fs.chmodSync(path.join(bin, "kubectl-exec"), 0o755);
  return {
    ...LOOPBACK_ENV,
    PATH: [
      bin,
      path.dirname(tools.pulumi),
      path.dirname(tools.helm),
      path.join(PROJECT, "node_modules", ".bin"),
      process.env.PATH,
    ].join(path.delimiter),
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: path.join(root, "helm", "cache"),
    HELM_CONFIG_HOME: path.join(root, "helm", "config"),
    HELM_DATA_HOME: path.join(root, "helm", "data"),
    KUBECTL: path.join(bin, "kubectl-exec"),
    BAO_TOKEN: "e2e-openbao-token",
  };
}

export interface TierOptions {
  /** What the CNPG status double does. @default completes Backups after 1 s */
  cnpg?: Omit<CnpgStatusOptions, "kubeconfig">;
  /**
   * Runs a simulated cluster beside the API server (simulated/cluster.ts: kube-controller-manager, kwok), with
   * pods Ready after these delays. @default none: objects are stored, nothing runs
   */
  simulated?: ReadinessDelays;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A further cluster of the tier: its own API server and CNPG status double (one install each, for fleets). */
export interface TierCluster {
  server: ApiServer;
  cnpg: CnpgStatusDouble;
}

export class EngineTier {
  private readonly clusters: TierCluster[] = [];

  /** Every CLI process the Automation API ran, in order: its subcommand and wall time (see timedCommand). */
  get cliProcesses(): readonly CliProcess[] {
    return (this.pulumiCommand as TimedCommand).processes;
  }

  private constructor(
    readonly server: ApiServer,
    /** Scratch directory of this tier: doubles' launchers, PULUMI_HOME, the file backend, the project copy. */
    readonly root: string,
    readonly projectDir: string,
    readonly env: Record<string, string>,
    readonly pulumiCommand: PulumiCommand,
    readonly cnpg: CnpgStatusDouble,
    readonly endpoints: PlatformEndpoints,
    readonly objectStore: ObjectStoreDouble,
    readonly shared: string,
    /** The simulated cluster, when the tier was started with one. */
    readonly simulated?: SimulatedCluster,
  ) {}

  static async start(options: TierOptions = {}): Promise<EngineTier> {
    const shared = requireShared(PROJECT);
    const tools = requireToolchain(
      "pulumi",
      "pulumi-language-nodejs",
      "pulumi-resource-kubernetes",
      "helm",
      "etcd",
      "kube-apiserver",
      "kube-controller-manager",
    );
    console.log(
      `tier: ${toolchainVersions("pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "kube-apiserver")}`,
    );
    // A simulated cluster runs its own controller manager, with the housekeeping controllers among its own.
    const server = await startApiServer(
      tools.etcd,
      tools["kube-apiserver"],
      options.simulated ? undefined : tools["kube-controller-manager"],
    );
    try {
      await applyCrds(server, path.join(shared, "crds"), PREREQUISITE_CRDS);
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-engine-"));
      const projectDir = path.join(root, "project");
      copyProject(projectDir);
      const backend = path.join(root, "state");
      fs.mkdirSync(backend);
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        ...engineEnv(root, server.kubeconfig),
        PULUMI_HOME: path.join(root, "pulumi-home"),
        // As docs/getting-started.md logs in: without metadata sidecars, which the file backend rewrites in
        // place on every checkpoint write, so the program's read of its own stack can catch one empty.
        PULUMI_BACKEND_URL: `file://${backend}?${FILE_BACKEND_QUERY}`,
        PULUMI_CONFIG_PASSPHRASE: "lockstep-e2e",
        // What an operator exports before an up: the smoke test's client secret and the admin API's token.
        LOCKSTEP_SMOKE_CLIENT_SECRET: SMOKE_CLIENT.secret,
        LOCKSTEP_ADMIN_TOKEN: ADMIN_TOKEN,
      };
      const pulumiCommand = timedCommand(await PulumiCommand.get({ root: path.dirname(path.dirname(tools.pulumi)) }));
      const cnpg = new CnpgStatusDouble({ kubeconfig: server.kubeconfig, ...options.cnpg });
      cnpg.start();
      const endpoints = await startPlatformEndpoints(BLOCKED_PROMPT);
      const objectStore = await startObjectStore();
      // Last: it cleans up after itself when it fails to start, and nothing after it can fail.
      const simulated = options.simulated
        ? await startSimulatedCluster(server, requireToolchain("kube-controller-manager", "kwok"), options.simulated)
        : undefined;
      return new EngineTier(
        server,
        root,
        projectDir,
        env,
        pulumiCommand,
        cnpg,
        endpoints,
        objectStore,
        shared,
        simulated,
      );
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  /**
   * Starts another API server with the prerequisite CRDs and a CNPG status double of its own: the cluster of
   * one more install. Operators are cluster-scoped (cnpg-system), so installs never share an API server.
   */
  async addCluster(options: TierOptions = {}): Promise<TierCluster> {
    const tools = requireToolchain("etcd", "kube-apiserver", "kube-controller-manager");
    const server = await startApiServer(tools.etcd, tools["kube-apiserver"], tools["kube-controller-manager"]);
    const cnpg = new CnpgStatusDouble({ kubeconfig: server.kubeconfig, ...options.cnpg });
    this.clusters.push({ server, cnpg });
    await applyCrds(server, path.join(this.shared, "crds"), PREREQUISITE_CRDS);
    cnpg.start();
    return { server, cnpg };
  }

  /**
   * Config every e2e stack needs on this API server: charts from ../shared, readiness waits only on a
   * simulated cluster (without one no controller runs pods), CNPG's webhooks not required (no operator pod
   * answers them), and the smoke test pointed at the endpoint double (the platform and Keycloak's OIDC).
   */
  localConfig(stack: string): Record<string, string> {
    return {
      "lockstep:chartSource": path.join(this.shared, "charts"),
      "lockstep:awaitRollouts": this.simulated ? "true" : "false",
      "lockstep:chartValues.cnpgOperator.webhook.mutating.failurePolicy": "Ignore",
      "lockstep:chartValues.cnpgOperator.webhook.validating.failurePolicy": "Ignore",
      // No storage provisioner runs here: a claim would stay Pending and Helm's wait with it.
      "lockstep:chartValues.observability.server.persistentVolume.enabled": "false",
      "lockstep:smoke.gatewayUrl": this.endpoints.url,
      "lockstep:smoke.apiUrl": this.endpoints.url,
      "lockstep:smoke.consoleUrl": this.endpoints.url,
      "lockstep:smoke.blockedPrompt": BLOCKED_PROMPT,
      "lockstep:smoke.consolePreviewUrl": `${this.endpoints.url}/preview/{color}`,
      "lockstep:smoke.signIn.issuerUrl": `${this.endpoints.url}${REALM_PATH}`,
      "lockstep:smoke.signIn.clientId": SMOKE_CLIENT.id,
      "lockstep:smoke.recordFile": `.lockstep/verified-${stack}.json`,
      "lockstep:backup.endpointURL": this.objectStore.url,
    };
  }

  /**
   * The object-store credentials Secret the platform team creates beside an install once its namespace
   * exists (the Barman Cloud plugin and the OpenBao snapshot's upload read it).
   */
  backupCredentials(namespace: string, server: ApiServer = this.server): void {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "backup-s3-credentials", namespace },
      stringData: { ACCESS_KEY_ID: "AKIAE2E", ACCESS_SECRET_KEY: "e2e-secret-key" },
    };
    const r = spawnSync("kubectl", ["--kubeconfig", server.kubeconfig, "apply", "-f", "-"], {
      input: JSON.stringify(secret),
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`backup credentials in ${namespace}: ${r.stderr}`);
  }

  /** A stack of the project copy through the Automation API, with `config` set by path (`a.b.c`). */
  async stack(name: string, config: Record<string, string> = {}): Promise<Stack> {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: name, workDir: this.projectDir },
      { envVars: this.env, pulumiCommand: this.pulumiCommand },
    );
    await this.setConfig(stack, config);
    return stack;
  }

  async setConfig(stack: Stack, config: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(config)) {
      if (value === "null") await stack.removeConfig(key, true);
      else await stack.setConfig(key, { value }, true);
    }
  }

  /**
   * The real `pulumi` CLI in the project copy, with the tier's environment. Asynchronous on purpose: the
   * doubles that answer the smoke test and move CNPG status live in this process and must keep running.
   */
  cli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
    return run("pulumi", args, {
      cwd: options.cwd ?? this.projectDir,
      env: { ...this.env, ...options.env },
      timeoutMs: 600_000,
    });
  }

  /** The lockstep CLI of the project copy, as an operator runs it there (it reads stack outputs through the real CLI). */
  lockstep(args: string[], options: { timeoutMs?: number } = {}): Promise<CliRun> {
    const node = path.join(PROJECT, "node_modules", ".bin", "node");
    return run(node, ["--import", "tsx", path.join(this.projectDir, "cli", "lockstep.ts"), ...args], {
      cwd: this.projectDir,
      env: this.env,
      timeoutMs: options.timeoutMs ?? 300_000,
    });
  }

  /** The real helm CLI against the tier's API server (the provider embeds the same library). */
  helm(args: string[]): Promise<CliRun> {
    return run("helm", args, { cwd: this.projectDir, env: this.env, timeoutMs: 300_000 });
  }

  /** Starts the real CLI without waiting, for tests that interrupt it. */
  spawnCli(args: string[]) {
    return spawn("pulumi", args, {
      cwd: this.projectDir,
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: false,
    });
  }

  /** kubectl against the tier's API server (synchronous: for quick reads between steps). */
  kubectl(args: string[]): CliRun {
    const r = this.server.kubectl(args);
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  /** kubectl against the tier's API server without blocking this process (the doubles and watches here keep running). */
  kubectlAsync(args: string[], timeoutMs = 180_000): Promise<CliRun> {
    return run("kubectl", ["--kubeconfig", this.server.kubeconfig, ...args], { timeoutMs });
  }

  /** The file backend's directory (what its `file://` URL names). */
  get backendDir(): string {
    return decodeURIComponent(new URL(this.env.PULUMI_BACKEND_URL).pathname);
  }

  /** Where the file backend keeps a stack's checkpoint. */
  checkpointPath(stack: string): string {
    return path.join(this.backendDir, ".pulumi", "stacks", "lockstep", `${stack}.json`);
  }

  /** The file backend's checkpoint of a stack, as stored. */
  stateFile(stack: string): string {
    return fs.readFileSync(this.checkpointPath(stack), "utf8");
  }

  async stop(): Promise<void> {
    for (const { server, cnpg } of this.clusters) {
      await cnpg.stop();
      await server.stop();
    }
    await this.cnpg.stop();
    await this.endpoints.stop();
    await this.objectStore.stop();
    await this.simulated?.stop();
    await this.server.stop();
    spawnSync("pkill", ["-f", this.root]); // provider doubles the CLI left behind
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** One `pulumi` process the Automation API started. */
export interface CliProcess {
  subcommand: string;
  startedAt: number;
  endedAt: number;
}

/** `PulumiCommand.run`, the SDK's internal (not in its typings) that starts every CLI process. */
type RunsProcesses = { run: (args: string[], ...rest: unknown[]) => Promise<unknown> };
type TimedCommand = PulumiCommand & { processes: CliProcess[] };

/**
 * The CLI with each process timed. A stack's `up()` runs `pulumi up`, then `pulumi stack output` and
 * `pulumi stack history` to build its result: what a user's `pulumi up` takes is the first process alone.
 */
function timedCommand(command: PulumiCommand): TimedCommand {
  const inner = command as unknown as RunsProcesses;
  if (typeof inner.run !== "function") {
    throw new Error("the Automation API's PulumiCommand has no run method: the tier cannot time the CLI's processes");
  }
  const timed = Object.assign(command, { processes: [] as CliProcess[] });
  const run = inner.run.bind(command);
  inner.run = async (args, ...rest) => {
    const startedAt = Date.now();
    try {
      return await run(args, ...rest);
    } finally {
      const subcommand = args
        .slice(0, 2)
        .filter((a) => !a.startsWith("-"))
        .join(" ");
      timed.processes.push({ subcommand, startedAt, endedAt: Date.now() });
    }
  };
  return timed;
}
