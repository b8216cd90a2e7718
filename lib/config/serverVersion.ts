/**
 * `lockstep:kubernetesVersion` is typed (the offline plan and the policy pack judge the release's
 * supported range on it); where a cluster answers, the API server's own version is read and must agree.
 */

import { spawnSync } from "node:child_process";
import { ClusterTarget, kubectlTarget } from "./cluster";

/** What asking the cluster gave: its version, or why there is none. */
export type ServerVersionRead = { version: string } | { problem: string };

/** Asks the stack's own cluster (`lockstep:cluster`, else kubectl's defaults) with `kubectl version`. */
export function kubectlServerVersion(cluster: ClusterTarget | undefined, projectDir: string): ServerVersionRead {
  const args = [...kubectlTarget(cluster, projectDir), "version", "-o", "json", "--request-timeout=10s"];
  const r = spawnSync("kubectl", args, { encoding: "utf8", timeout: 20_000 });
  const version = r.status === 0 ? serverVersionOf(r.stdout) : undefined;
  if (version) return { version };
  const why = (r.stderr ?? "").trim().split("\n").pop() || r.error?.message || `exit ${r.status}`;
  return { problem: `kubectl version: ${why.slice(0, 200)}` };
}

/** The API server's version from `kubectl version -o json`, like `1.31.14`; undefined when it did not answer. */
export function serverVersionOf(kubectlJson: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(kubectlJson);
  } catch {
    // Not JSON (a proxy's page, a plugin's banner): no server answered, as below.
  }
  const git = (parsed as { serverVersion?: { gitVersion?: unknown } } | null)?.serverVersion?.gitVersion;
  const found = typeof git === "string" ? /^v?(\d+\.\d+\.\d+)/.exec(git) : null;
  return found?.[1];
}

/**
 * Whether the typed version names the server's: `1.31` agrees with any 1.31 patch, `1.31.4` only with
 * 1.31.4. Says what to type when it does not.
 */
export function serverVersionRefusal(typed: string | undefined, server: string): string | undefined {
  if (!typed) return undefined;
  const want = typed.replace(/^v/, "").split(".");
  const have = server.split(".");
  if (want.every((part, i) => Number(part) === Number(have[i]))) return undefined;
  const suggestion = want.length === 3 ? server : have.slice(0, 2).join(".");
  return `lockstep:kubernetesVersion = "${typed}" must be the cluster's version, and its API server reports v${server} (kubectl version); set it to "${suggestion}"`;
}
