/**
 * Secure defaults for every first-party Pod: the Kubernetes "restricted" Pod Security profile plus a
 * read-only root filesystem, from the one definition in lib/podSecurity (the charts get the same).
 */
import type * as k8s from "@pulumi/kubernetes";
import { restrictedContainer, restrictedPod } from "../lib/security/podSecurity";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

/** Non-root UID/GID the first-party images are built to run as. */
export const RUN_AS_USER = 10001;

export function restrictedPodSecurityContext(): PodSecurityContext {
  return restrictedPod(RUN_AS_USER);
}

export function restrictedContainerSecurityContext(): SecurityContext {
  return restrictedContainer();
}

/** Labels for the namespace so the API server itself enforces the restricted profile. */
export const RESTRICTED_NAMESPACE_LABELS: Record<string, string> = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/warn": "restricted",
};
