/**
 * Where the canary analysis reads its metrics by default: the release set's own Prometheus
 * (`charts.observability`), which scrapes the gateways of the platform namespace, and how the CLI reaches
 * it from outside the cluster: the API server's service proxy, with the stack's kubeconfig, so no port is
 * opened and no address is typed. The scrape job lives here beside the queries it feeds: the built-in
 * queries select `namespace` and `track`, and this job is what puts those labels on every series.
 */
import type { Values } from "../core/merge";
import { HELM_RELEASES, LABELS } from "../core/names";

/** The chart's server Service: `<release>-server` (the release name holds the chart's), on port 80. */
export const PROMETHEUS_SERVICE = { name: `${HELM_RELEASES.observability}-server`, port: 80 } as const;

/**
 * The chart's own scrape jobs (nodes, cAdvisor, every annotated pod and service): off. They need a
 * cluster-wide role, and the analysis reads only the gateways. Its job for Prometheus itself stays.
 */
export const CHART_SCRAPE_JOBS = [
  "kubernetes-api-servers",
  "kubernetes-nodes",
  "kubernetes-nodes-cadvisor",
  "kubernetes-service-endpoints",
  "kubernetes-service-endpoints-slow",
  "prometheus-pushgateway",
  "kubernetes-services",
  "kubernetes-pods",
  "kubernetes-pods-slow",
] as const;

export const GATEWAY_SCRAPE_JOB = "lockstep-gateways";

/** A pod label as Kubernetes service discovery names it: `lockstep.dev/track` -> `__meta_kubernetes_pod_label_lockstep_dev_track`. */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/** What discovering the gateways needs: pods, read-only. Bound in the platform namespace only. */
export const DISCOVERY_RULES = [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }];

/** The ClusterRole the chart binds in its own namespace: named per namespace, since two installs may share a cluster. */
export function discoveryRoleName(namespace: string): string {
  return `${namespace}-prometheus-discovery`;
}

/**
 * The values that make the chart scrape every gateway pod of its own namespace on the gateway port, every
 * 15 s (a 30 s sample of a 1 m rate needs more than the chart's 1 m default), with the labels the built-in
 * queries select on. Discovery is bound in that namespace alone (a RoleBinding to `discoveryRoleName`)
 * instead of the chart's cluster-wide read of nodes, services and pods.
 */
export function observabilityValues(gatewayPort: number, namespace: string): Values {
  const copy = (source: string, target: string) => ({ source_labels: [source], target_label: target });
  const disabled = Object.fromEntries(CHART_SCRAPE_JOBS.map((job) => [job, { enabled: false }]));
  return {
    server: {
      releaseNamespace: true,
      useExistingClusterRoleName: discoveryRoleName(namespace),
      // The chart sets none; scraping a few gateways for a week fits these (a stack's chartValues resize them).
      resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
    },
    configmapReload: {
      prometheus: { resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } } },
    },
    scrapeConfigs: {
      ...disabled,
      [GATEWAY_SCRAPE_JOB]: {
        scrape_interval: "15s",
        kubernetes_sd_configs: [{ role: "pod", namespaces: { own_namespace: true } }],
        relabel_configs: [
          {
            source_labels: [podLabelMeta(LABELS.name), "__meta_kubernetes_pod_container_port_number"],
            regex: `gateway;${gatewayPort}`,
            action: "keep",
          },
          copy("__meta_kubernetes_namespace", "namespace"),
          copy(podLabelMeta(LABELS.track), "track"),
          copy(podLabelMeta(LABELS.version), "version"),
          copy("__meta_kubernetes_pod_name", "pod"),
        ],
      },
    },
  };
}

/** The API server path that proxies to that Prometheus's HTTP API, for `kubectl get --raw`. */
export function prometheusProxyPath(namespace: string): string {
  return `/api/v1/namespaces/${namespace}/services/http:${PROMETHEUS_SERVICE.name}:${PROMETHEUS_SERVICE.port}/proxy/`;
}
