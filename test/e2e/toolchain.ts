/**
 * The real-engine toolchain that scripts/toolchain.sh builds, as the e2e tier finds it. A missing part is
 * an error naming it and why it is missing (never a silent skip), and so is a missing ../shared.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface ToolchainComponent {
  status: "built" | "unavailable";
  version: string;
  path?: string;
  command?: string;
  error?: string;
}

export type ComponentName =
  | "pulumi"
  | "pulumi-language-nodejs"
  | "pulumi-resource-kubernetes"
  | "helm"
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kwok"
  | "prometheus"
  | "etcd";

export function toolchainDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "lockstep", "toolchain");
}

/** The status file scripts/toolchain.sh writes; undefined when it never ran. */
export function readToolchain(): Record<string, ToolchainComponent> | undefined {
  const file = path.join(toolchainDir(), "toolchain.json");
  if (!fs.existsSync(file)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === "object")) as Record<
    string,
    ToolchainComponent
  >;
}

/** Paths of the named components; throws naming every missing one and its recorded error. */
export function requireToolchain<N extends ComponentName>(...names: N[]): Record<N, string> {
  const toolchain = readToolchain();
  const status = path.join(toolchainDir(), "toolchain.json");
  if (!toolchain)
    throw new Error(
      `the real-engine toolchain has not been built: ${status} does not exist; run \`npm run toolchain\` (npm run test:e2e runs it first)`,
    );
  const missing = names.filter(
    (n) => toolchain[n]?.status !== "built" || !toolchain[n]?.path || !fs.existsSync(toolchain[n]?.path),
  );
  if (missing.length) {
    const why = missing.map(
      (n) =>
        `${n} ${toolchain[n]?.version ?? ""}: ${(toolchain[n]?.error ?? "not recorded (run `npm run toolchain`)").split("\n")[0]}`,
    );
    throw new Error(
      `the real-engine toolchain lacks ${missing.join(", ")} (status in ${status}):\n  ${why.join("\n  ")}`,
    );
  }
  return Object.fromEntries(names.map((n) => [n, toolchain[n]?.path as string])) as Record<N, string>;
}

/** `../shared` beside the checkout: the CRDs and charts the tier needs. Throws when it is absent. */
export function requireShared(project: string): string {
  const shared = path.resolve(project, "..", "shared");
  for (const part of ["crds", "charts"]) {
    if (!fs.existsSync(path.join(shared, part))) {
      throw new Error(
        `../shared is absent or incomplete: ${path.join(shared, part)} does not exist; the e2e tier reads the real CRDs and charts from ../shared beside the checkout`,
      );
    }
  }
  return shared;
}

/** `name version (path)` of each named component, as toolchain.json records them: for the e2e log. */
export function toolchainVersions(...names: ComponentName[]): string {
  const toolchain = readToolchain() ?? {};
  return names.map((n) => `${n} ${toolchain[n]?.version ?? "?"} (${toolchain[n]?.path ?? "not built"})`).join(", ");
}

/** The version toolchain.json records for a built component; throws when it is not built. */
export function requireToolchainVersion(name: ComponentName): string {
  requireToolchain(name);
  return (readToolchain() as Record<string, ToolchainComponent>)[name].version;
}
