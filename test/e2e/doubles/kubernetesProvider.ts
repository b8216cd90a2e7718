/**
 * TEST DOUBLE of `pulumi-resource-kubernetes` (the Go module proxy refuses the real provider at every
 * version). It serves `@pulumi/kubernetes` 4.34.2's resources to the real CLI over the real provider
 * protocol (`@pulumi/pulumi/provider`'s `main()`), against the real API server of the e2e tier:
 *
 * - every Kubernetes kind: server-side apply through kubectl (field manager `pulumi-kubernetes-double`),
 *   deletes through kubectl; diffs by the applied fields, which it keeps in its outputs as `__inputs`;
 *   a changed name, namespace or kind replaces;
 * - `helm.sh/v3:Release`: the real `helm upgrade --install` from a local chart folder, so the real charts
 *   render with the program's values and their objects meet the API server's admission;
 * - awaits: `pulumi.com/skipAwait: "true"` skips them; `pulumi.com/waitFor` (`jsonpath={.a.b}=value`,
 *   `condition=Type`, or a JSON list of those) is polled on any object; a Deployment is awaited as the
 *   real provider does (observed generation, updated and available replicas);
 * - the provider's `kubeconfig` (a path) and `context` inputs target kubectl and helm, as the real
 *   provider's do; without them, KUBECONFIG and its current context.
 *
 * Environment: KUBECONFIG (the API server when the provider names none), LOCKSTEP_HELM (the helm binary, default `helm`),
 * LOCKSTEP_DOUBLE_AWAIT_SECONDS (await timeout, default 600).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as provider from "@pulumi/pulumi/provider";
import { hasUnknown, outputs, parseUrn, plain, run, same, sleep, UNKNOWN } from "./kube";

const VERSION = "4.34.2";
const FIELD_MANAGER = "pulumi-kubernetes-double";
const HELM = process.env.LOCKSTEP_HELM ?? "helm";
const AWAIT_SECONDS = Number(process.env.LOCKSTEP_DOUBLE_AWAIT_SECONDS ?? "600");
const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

type Obj = Record<string, unknown>;
interface Manifest extends Obj {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string>; generation?: number } & Obj;
}

/** The cluster the provider's inputs name (`kubeconfig` path, `context`), set when the engine configures it. */
const target: { kubeconfig?: string; context?: string } = {};

/**
 * `@pulumi/pulumi/provider` answers Configure itself and drops its arguments, so this reads them off the
 * gRPC request before that answer: the engine sends the provider resource's inputs there.
 */
function captureProviderConfig(): void {
  const grpcPath = require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] });
  const grpc = require(grpcPath) as { Server: { prototype: { addService(service: unknown, impl: Record<string, unknown>): void } } };
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, impl) {
    const configure = impl.configure as ((call: { request: ConfigureRequest }, cb: unknown) => void) | undefined;
    if (configure) {
      impl.configure = (call: { request: ConfigureRequest }, cb: unknown) => {
        const args = (plain(call.request.getArgs()?.toJavaScript() ?? {}) ?? {}) as Record<string, unknown>;
        const variables = Object.fromEntries(call.request.getVariablesMap().toObject());
        const pick = (key: string) => {
          const value = args[key] ?? variables[`kubernetes:config:${key}`];
          return typeof value === "string" && value !== "" && value !== UNKNOWN ? value : undefined;
        };
        target.kubeconfig = pick("kubeconfig");
        target.context = pick("context");
        configure.call(impl, call, cb);
      };
    }
    addService.call(this, service, impl);
  };
}
interface ConfigureRequest {
  getArgs(): { toJavaScript(): unknown } | undefined;
  getVariablesMap(): { toObject(): [string, string][] };
}
captureProviderConfig();

const kubectl = (args: string[], input?: string) => run("kubectl", [...kubectlTarget(), ...args], { input });
const kubectlTarget = () => [...(target.kubeconfig ? ["--kubeconfig", target.kubeconfig] : []), ...(target.context ? ["--context", target.context] : [])];
const helmTarget = () => [...(target.kubeconfig ? ["--kubeconfig", target.kubeconfig] : []), ...(target.context ? ["--kube-context", target.context] : [])];

function fail(what: string, r: { code: number; stderr: string; stdout: string }): never {
  throw new Error(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join(" | ")}`);
}

const idOf = (m: Manifest) => (m.metadata.namespace ? `${m.metadata.namespace}/${m.metadata.name}` : `${m.metadata.name}`);
/** kubectl's `TYPE[.VERSION.GROUP] NAME [-n NS]` for an object; the core group has no suffix. */
const refOf = (m: Manifest) => [m.apiVersion.includes("/") ? `${m.kind}.${m.apiVersion.split("/").reverse().join(".")}` : m.kind, m.metadata.name as string, ...(m.metadata.namespace ? ["-n", m.metadata.namespace] : [])];

/** Server-side apply; retries while a CRD the object needs is not established yet. */
async function apply(m: Manifest): Promise<Obj> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await kubectl(["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "--force-conflicts", "-o", "json", "-f", "-"], JSON.stringify(m));
    if (r.code === 0) return JSON.parse(r.stdout) as Obj;
    if (!/no matches for kind|ensure CRDs are installed|the server could not find the requested resource/.test(r.stderr) || Date.now() > deadline) fail(`apply ${m.kind} ${idOf(m)}`, r);
    await sleep(1000);
  }
}

async function get(m: Manifest): Promise<Obj | undefined> {
  const r = await kubectl(["get", ...refOf(m), "-o", "json", "--ignore-not-found"]);
  if (r.code !== 0) fail(`get ${m.kind} ${idOf(m)}`, r);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Obj) : undefined;
}

/** A value at a JSONPath like `{.status.conditions[0].type}` (dotted fields and indexes only). */
function jsonPath(obj: unknown, expr: string): unknown {
  const steps = expr.replace(/^\{|\}$/g, "").replace(/^\./, "").split(".").flatMap((s) => s.split(/\[(\d+)\]/).filter(Boolean));
  return steps.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Obj)[k] : undefined), obj);
}

/** Whether one waitFor expression holds for the live object. */
function holds(live: Obj, expr: string): boolean {
  if (expr.startsWith("condition=")) {
    const [type, want = "True"] = expr.slice("condition=".length).split("=");
    const conditions = (jsonPath(live, "{.status.conditions}") as { type: string; status: string }[] | undefined) ?? [];
    return conditions.some((c) => c.type === type && c.status.toLowerCase() === want.toLowerCase());
  }
  if (expr.startsWith("jsonpath=")) {
    const body = expr.slice("jsonpath=".length);
    const close = body.indexOf("}");
    const value = jsonPath(live, body.slice(0, close + 1));
    const want = body.slice(close + 1).replace(/^=/, "");
    return want === "" ? value !== undefined && value !== null && value !== false : String(value) === want;
  }
  throw new Error(`pulumi.com/waitFor expression ${JSON.stringify(expr)} is not one this double understands (jsonpath= or condition=)`);
}

function deploymentReady(live: Obj): boolean {
  const spec = live.spec as { replicas?: number } | undefined;
  const status = (live.status ?? {}) as { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number };
  const generation = (live.metadata as { generation?: number }).generation ?? 0;
  const want = spec?.replicas ?? 1;
  return (status.observedGeneration ?? 0) >= generation && (status.updatedReplicas ?? 0) === want
    && (status.availableReplicas ?? 0) === want && (status.replicas ?? 0) === want;
}

/** Awaits the object as the real provider would; returns the live object. */
async function awaitReady(m: Manifest, live: Obj): Promise<Obj> {
  const annotations = m.metadata.annotations ?? {};
  if (annotations["pulumi.com/skipAwait"] === "true") return live;
  const waitFor = annotations["pulumi.com/waitFor"];
  const expressions = waitFor ? (waitFor.trim().startsWith("[") ? (JSON.parse(waitFor) as string[]) : [waitFor]) : [];
  const ready = (o: Obj) => (expressions.length ? expressions.every((e) => holds(o, e)) : m.kind === "Deployment" ? deploymentReady(o) : true);
  const deadline = Date.now() + AWAIT_SECONDS * 1000;
  let current = live;
  while (!ready(current)) {
    if (Date.now() > deadline) throw new Error(`${m.kind} ${idOf(m)} was not ready after ${AWAIT_SECONDS} s (${waitFor ? `waitFor ${waitFor}` : "rollout"}); status: ${JSON.stringify(current.status ?? {}).slice(0, 300)}`);
    await sleep(500);
    current = (await get(m)) ?? current;
  }
  return current;
}

// --- helm.sh/v3:Release -------------------------------------------------------------------------

interface ReleaseInputs {
  name: string;
  namespace?: string;
  chart: string;
  version?: string;
  values?: Obj;
  atomic?: boolean;
  skipAwait?: boolean;
  timeout?: number;
}

function checkChart(inputs: ReleaseInputs): provider.CheckFailure[] {
  if (hasUnknown(inputs.chart)) return [];
  if (!path.isAbsolute(inputs.chart) || !fs.existsSync(path.join(inputs.chart, "Chart.yaml"))) {
    return [{ property: "chart", reason: `the kubernetes provider test double installs local charts only; ${JSON.stringify(inputs.chart)} is not a chart folder (set lockstep:chartSource to a directory of <chart>-<version>/ folders)` }];
  }
  const version = /^version:\s*"?([^"\s]+)"?/m.exec(fs.readFileSync(path.join(inputs.chart, "Chart.yaml"), "utf8"))?.[1];
  if (inputs.version && version !== inputs.version) return [{ property: "version", reason: `${inputs.chart} holds chart version ${version}, not the pinned ${inputs.version}` }];
  return [];
}

async function helmInstall(inputs: ReleaseInputs): Promise<Obj> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-values-"));
  const valuesFile = path.join(dir, "values.json");
  fs.writeFileSync(valuesFile, JSON.stringify(plain(inputs.values ?? {})), { mode: 0o600 });
  const namespace = inputs.namespace ?? "default";
  const wait = !inputs.skipAwait;
  try {
    const r = await run(HELM, [...helmTarget(), "upgrade", "--install", inputs.name, inputs.chart, "--namespace", namespace, "--values", valuesFile,
      ...(wait ? ["--wait", `--timeout=${inputs.timeout ?? 300}s`] : []), ...(wait && inputs.atomic ? ["--atomic"] : [])]);
    if (r.code !== 0) fail(`helm upgrade --install ${inputs.name}`, r);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const status = await run(HELM, [...helmTarget(), "status", inputs.name, "--namespace", namespace, "-o", "json"]);
  if (status.code !== 0) fail(`helm status ${inputs.name}`, status);
  const s = JSON.parse(status.stdout) as { name: string; namespace: string; version: number; info: { status: string }; chart?: { metadata?: { name?: string; version?: string; appVersion?: string } } };
  return { name: s.name, namespace: s.namespace, revision: s.version, status: s.info.status, chart: s.chart?.metadata?.name, version: s.chart?.metadata?.version, appVersion: s.chart?.metadata?.appVersion };
}

// --- the provider ------------------------------------------------------------------------------------

function autoname(news: Obj, olds: Obj, logical: string): Obj {
  const meta = (news.metadata ?? {}) as Obj;
  if (meta.name !== undefined) return news;
  const previous = ((olds.metadata ?? {}) as Obj).name;
  return { ...news, metadata: { ...meta, name: previous ?? `${logical}-${Math.random().toString(36).slice(2, 10)}` } };
}

const kubernetesDouble: provider.Provider = {
  version: VERSION,

  async check(urn, olds, news) {
    const { type, name } = parseUrn(urn);
    if (type === RELEASE_TYPE) return { inputs: news, failures: checkChart(news as ReleaseInputs) };
    return { inputs: autoname(news as Obj, (olds ?? {}) as Obj, name) };
  },

  async diff(_id, urn, olds, news) {
    const { type } = parseUrn(urn);
    const before = ((olds as Obj).__inputs ?? {}) as Obj;
    if (hasUnknown(news)) return { changes: true };
    const changes = !same(plain(before), plain(news));
    const key = (o: Obj) => (type === RELEASE_TYPE
      ? JSON.stringify([o.name, o.namespace])
      : JSON.stringify([o.apiVersion, o.kind, (o.metadata as Obj | undefined)?.name, (o.metadata as Obj | undefined)?.namespace]));
    const replaces = changes && key(before) !== key(news as Obj) ? [type === RELEASE_TYPE ? "name" : "metadata"] : [];
    return { changes, replaces, deleteBeforeReplace: false };
  },

  async create(urn, inputs) {
    const { type } = parseUrn(urn);
    if (type === RELEASE_TYPE) {
      const release = inputs as ReleaseInputs;
      const status = await helmInstall(release);
      return { id: `${release.namespace ?? "default"}/${release.name}`, outs: outputs({ ...inputs, status, __inputs: inputs }) };
    }
    const m = plain(inputs) as Manifest;
    const live = await awaitReady(m, await apply(m));
    return { id: idOf(m), outs: outputs({ ...live, __inputs: inputs }) };
  },

  async update(_id, urn, _olds, news) {
    const { type } = parseUrn(urn);
    if (type === RELEASE_TYPE) return { outs: outputs({ ...news, status: await helmInstall(news as ReleaseInputs), __inputs: news }) };
    const m = plain(news) as Manifest;
    const live = await awaitReady(m, await apply(m));
    return { outs: outputs({ ...live, __inputs: news }) };
  },

  async read(id, urn, props) {
    const { type } = parseUrn(urn);
    const inputs = ((props as Obj | undefined)?.__inputs ?? props) as Obj;
    if (type === RELEASE_TYPE) return { id, props, inputs };
    const live = await get(plain(inputs) as Manifest);
    return live ? { id, props: { ...live, __inputs: inputs }, inputs } : { id: "", props: {} };
  },

  async delete(_id, urn, props) {
    const { type } = parseUrn(urn);
    const inputs = ((props as Obj).__inputs ?? props) as Obj;
    if (type === RELEASE_TYPE) {
      const release = inputs as unknown as ReleaseInputs;
      const r = await run(HELM, [...helmTarget(), "uninstall", release.name, "--namespace", release.namespace ?? "default", "--ignore-not-found"]);
      if (r.code !== 0) fail(`helm uninstall ${release.name}`, r);
      return;
    }
    const m = plain(inputs) as Manifest;
    const r = await kubectl(["delete", ...refOf(m), "--ignore-not-found", "--wait=false"]);
    if (r.code !== 0) fail(`delete ${m.kind} ${idOf(m)}`, r);
  },
};

provider.main(kubernetesDouble, process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`kubernetes provider double: ${(err as Error).message}\n`);
  process.exit(1);
});
