/**
 * Which cluster an install runs on. A fleet runs many installs from one machine, so each stack names its
 * own cluster instead of inheriting whatever the shell's kube context happens to be: the Kubernetes
 * provider, the scripts the program runs (backups, snapshots, drills) and preflight all read this.
 */
import * as path from "node:path";
import { z } from "zod";

export const clusterSchema = z.strictObject({
  /** Path to the kubeconfig file of this install's cluster; relative paths are from the project directory. */
  kubeconfig: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? "is required: the path of the install's kubeconfig file"
          : "must be the path of a kubeconfig file",
    })
    .min(1, { message: "must be the path of a kubeconfig file" }),
  /** Context inside that file. @default the file's current-context */
  context: z.string().min(1, { message: "must be a context name from the kubeconfig file" }).optional(),
});
export type ClusterTarget = z.infer<typeof clusterSchema>;

/** The kubeconfig path as tools need it: absolute, resolved from the project directory. */
export function kubeconfigPath(cluster: ClusterTarget, projectDir: string): string {
  return path.resolve(projectDir, cluster.kubeconfig);
}

/**
 * The environment of the program's scripts: KUBECONFIG for kubectl, KUBE_CONTEXT for the scripts to pass
 * as --context. Empty without a target, so an install that names no cluster keeps kubectl's own defaults
 * (and its scripts' inputs stay exactly what they were).
 */
export function clusterEnvironment(cluster: ClusterTarget | undefined, projectDir: string): Record<string, string> {
  if (!cluster) return {};
  return {
    KUBECONFIG: kubeconfigPath(cluster, projectDir),
    ...(cluster.context ? { KUBE_CONTEXT: cluster.context } : {}),
  };
}

/** kubectl's global flags for the target; none without one. */
export function kubectlTarget(cluster: ClusterTarget | undefined, projectDir: string): string[] {
  if (!cluster) return [];
  return [
    "--kubeconfig",
    kubeconfigPath(cluster, projectDir),
    ...(cluster.context ? ["--context", cluster.context] : []),
  ];
}
