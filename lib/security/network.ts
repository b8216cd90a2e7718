/**
 * The platform namespace's network: deny everything, then allow each real flow by name. Plain data (the
 * NetworkPolicy specs), so the program declares exactly what is listed here and the tests read it.
 *
 * Ports, from each component's docs: gateway 41002, API 8080, console 3000; PostgreSQL 5432 and the CNPG
 * instance manager 8000 (the operator and the instances call it); Keycloak 8080 (HTTP) and 7800/57800
 * (JGroups between its pods); OpenBao 8200 (API) and 8201 (raft between its pods); Prometheus 9090; DNS 53.
 */
import { IDENTITY_DB, LABELS, PLATFORM_DB } from "../core/names";

export interface NetworkContext {
  /** The platform namespace: the default deny and every allow-list live here. */
  namespace: string;
  /** Where the CloudNativePG operator runs. */
  operatorNamespace: string;
  /** The namespace of the Gateway API Gateway that routes users to the gateways and the console. */
  gatewayNamespace: string;
  /** The object store's port (backups and WAL): the backup endpoint's, or 443. */
  objectStorePort: number;
}

type Labels = Record<string, string>;
export interface Peer {
  pods?: Labels;
  /** A namespace by name; without it the peer is in the platform namespace. */
  namespace?: string;
  /** An address block (the API server, object stores and AI providers live outside the cluster's pods). */
  cidr?: string;
}
export interface Rule {
  peers: Peer[];
  ports: { port: number; protocol?: "TCP" | "UDP" }[];
}
export interface NetworkPolicySpec {
  name: string;
  /** What the flow is, for people reading `kubectl get networkpolicy`. */
  description: string;
  pods: Labels;
  ingress?: Rule[];
  egress?: Rule[];
}

export const DEFAULT_DENY = "default-deny";

const app = (name: string): Labels => ({ [LABELS.name]: name });
const component = (name: string): Labels => ({ [LABELS.component]: name });
const cnpg = (cluster: string): Labels => ({ "cnpg.io/cluster": cluster });
const KEYCLOAK: Labels = { "app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": "keycloak" };
const OPENBAO: Labels = { "app.kubernetes.io/name": "openbao", "app.kubernetes.io/instance": "openbao" };
const PROMETHEUS: Labels = { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "prometheus" };
const ANYWHERE: Peer = { cidr: "0.0.0.0/0" };
const tcp = (...ports: number[]) => ports.map((port) => ({ port, protocol: "TCP" as const }));

/** Every NetworkPolicy of the platform namespace: the default deny first, then one allow-list per flow. */
export function networkPolicies(ctx: NetworkContext): NetworkPolicySpec[] {
  const gatewayNs: Peer = { namespace: ctx.gatewayNamespace };
  const operator: Peer = { namespace: ctx.operatorNamespace, pods: { "app.kubernetes.io/name": "cloudnative-pg" } };
  const database = (cluster: string, clients: Peer[]): NetworkPolicySpec => ({
    name: `${cluster}-instances`,
    description: `PostgreSQL ${cluster}: clients and the CNPG operator in; replication between instances; out to the API server and the object store`,
    pods: cnpg(cluster),
    ingress: [
      { peers: clients, ports: tcp(5432) },
      { peers: [operator], ports: tcp(8000, 5432) },
      { peers: [{ pods: cnpg(cluster) }], ports: tcp(5432, 8000) },
    ],
    egress: [
      { peers: [{ pods: cnpg(cluster) }], ports: tcp(5432, 8000) },
      { peers: [ANYWHERE], ports: tcp(443, 6443, ...(ctx.objectStorePort === 443 ? [] : [ctx.objectStorePort])) },
    ],
  });
  return [
    {
      name: DEFAULT_DENY,
      description: "deny all ingress and egress in the platform namespace; every flow below is allowed by name",
      pods: {},
      ingress: [],
      egress: [],
    },
    {
      name: "allow-dns",
      description: "every pod resolves names through the cluster DNS",
      pods: {},
      egress: [
        {
          peers: [{ namespace: "kube-system", pods: { "k8s-app": "kube-dns" } }],
          ports: [
            { port: 53, protocol: "UDP" },
            { port: 53, protocol: "TCP" },
          ],
        },
      ],
    },
    {
      name: "gateway",
      description:
        "users reach the gateways through the Gateway, and Prometheus scrapes them; gateways call the API, Keycloak, OpenBao and the AI providers",
      pods: app("gateway"),
      ingress: [{ peers: [gatewayNs, { pods: PROMETHEUS }], ports: tcp(41002) }],
      egress: [
        { peers: [{ pods: app("api") }, { pods: KEYCLOAK }], ports: tcp(8080) },
        { peers: [{ pods: OPENBAO }], ports: tcp(8200) },
        { peers: [ANYWHERE], ports: tcp(443) },
      ],
    },
    {
      name: "console",
      description: "users reach the console through the Gateway; the console calls the API and Keycloak",
      pods: app("console"),
      ingress: [{ peers: [gatewayNs], ports: tcp(3000) }],
      egress: [{ peers: [{ pods: app("api") }, { pods: KEYCLOAK }], ports: tcp(8080) }],
    },
    {
      name: "api",
      description:
        "gateways, console, workers and the Gateway reach the API; the API calls PostgreSQL, Keycloak and OpenBao",
      pods: app("api"),
      ingress: [
        {
          peers: [{ pods: app("gateway") }, { pods: app("console") }, { pods: component("workers") }, gatewayNs],
          ports: tcp(8080),
        },
      ],
      egress: [
        { peers: [{ pods: cnpg(PLATFORM_DB) }], ports: tcp(5432) },
        { peers: [{ pods: KEYCLOAK }], ports: tcp(8080) },
        { peers: [{ pods: OPENBAO }], ports: tcp(8200) },
      ],
    },
    {
      name: "workers",
      description: "workers call the API, PostgreSQL, OpenBao, and the object stores exports go to",
      pods: component("workers"),
      egress: [
        { peers: [{ pods: app("api") }], ports: tcp(8080) },
        { peers: [{ pods: cnpg(PLATFORM_DB) }], ports: tcp(5432) },
        { peers: [{ pods: OPENBAO }], ports: tcp(8200) },
        { peers: [ANYWHERE], ports: tcp(443) },
      ],
    },
    database(PLATFORM_DB, [{ pods: app("api") }, { pods: component("workers") }]),
    database(IDENTITY_DB, [{ pods: KEYCLOAK }]),
    {
      name: "keycloak",
      description:
        "users (through the Gateway), gateways, console and API reach Keycloak; its pods cluster over JGroups; it calls its database",
      pods: KEYCLOAK,
      ingress: [
        {
          peers: [gatewayNs, { pods: app("gateway") }, { pods: app("console") }, { pods: app("api") }],
          ports: tcp(8080),
        },
        { peers: [{ pods: KEYCLOAK }], ports: tcp(7800, 57800) },
      ],
      egress: [
        { peers: [{ pods: cnpg(IDENTITY_DB) }], ports: tcp(5432) },
        { peers: [{ pods: KEYCLOAK }], ports: tcp(7800, 57800) },
      ],
    },
    {
      name: "prometheus",
      description:
        "the canary analysis reads Prometheus through the API server's service proxy; it scrapes the gateways and discovers them from the API server",
      pods: PROMETHEUS,
      // The API server's proxy connects from outside the pod network: an address block, as for its other calls.
      ingress: [{ peers: [ANYWHERE], ports: tcp(9090) }],
      egress: [
        { peers: [{ pods: app("gateway") }], ports: tcp(41002) },
        { peers: [ANYWHERE], ports: tcp(443, 6443) },
      ],
    },
    {
      name: "openbao",
      description:
        "the API, gateways and workers read secrets from OpenBao; its pods form a raft cluster; it calls the API server",
      pods: OPENBAO,
      ingress: [
        { peers: [{ pods: app("api") }, { pods: app("gateway") }, { pods: component("workers") }], ports: tcp(8200) },
        { peers: [{ pods: OPENBAO }], ports: tcp(8200, 8201) },
      ],
      egress: [
        { peers: [{ pods: OPENBAO }], ports: tcp(8200, 8201) },
        { peers: [ANYWHERE], ports: tcp(443, 6443) },
      ],
    },
  ];
}

/** A label selector; every pod is `{}` (the API server stores an empty matchLabels as `{}`, so writing it so keeps applies idempotent). */
const selector = (labels: Labels) => (Object.keys(labels).length ? { matchLabels: labels } : {});

/** The NetworkPolicy object for a spec. */
export function networkPolicyObject(spec: NetworkPolicySpec, ctx: NetworkContext, labels: Labels) {
  const peer = (p: Peer) => {
    if (p.cidr) return { ipBlock: { cidr: p.cidr } };
    const other = p.namespace !== undefined && p.namespace !== ctx.namespace;
    return {
      // A peer in this namespace with no pod labels is every pod here: an empty podSelector says so.
      ...(p.pods || !other ? { podSelector: selector(p.pods ?? {}) } : {}),
      ...(other ? { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": p.namespace } } } : {}),
    };
  };
  const rules = (list: Rule[] | undefined, side: "from" | "to") =>
    (list ?? []).map((r) => ({
      [side]: r.peers.map(peer),
      ports: r.ports.map((x) => ({ port: x.port, protocol: x.protocol ?? "TCP" })),
    }));
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: spec.name,
      namespace: ctx.namespace,
      labels,
      annotations: { "lockstep.dev/flow": spec.description },
    },
    spec: {
      podSelector: selector(spec.pods),
      policyTypes: [...(spec.ingress ? ["Ingress"] : []), ...(spec.egress ? ["Egress"] : [])],
      // No rules at all is "deny" for each policy type listed; the API server stores an empty list as absent.
      ...(spec.ingress?.length ? { ingress: rules(spec.ingress, "from") } : {}),
      ...(spec.egress?.length ? { egress: rules(spec.egress, "to") } : {}),
    },
  };
}
