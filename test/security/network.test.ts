/**
 * The platform namespace's network (lib/security/network.ts), judged the way Kubernetes judges NetworkPolicies: a
 * small evaluator of the rendered objects (isolation per policy type, peers by pod and namespace
 * selector or address block, ports and protocols) decides each connection, and the flows each
 * component's docs name must pass while everything else is refused.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DEFAULT_DENY, networkPolicies, networkPolicyObject, NetworkContext } from "../../lib/security/network";

type Labels = Record<string, string>;
interface Endpoint {
  namespace?: string;
  labels?: Labels;
  external?: true;
}
interface Selector {
  matchLabels?: Labels;
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port: number; protocol: string }[];
}
type Policy = ReturnType<typeof networkPolicyObject>;

const NS = "aigw";
const ctx = (over: Partial<NetworkContext> = {}): NetworkContext => ({
  namespace: NS,
  operatorNamespace: "cnpg-system",
  gatewayNamespace: "gateway-system",
  objectStorePort: 443,
  ...over,
});
const rendered = (c: NetworkContext): Policy[] =>
  networkPolicies(c).map((spec) => networkPolicyObject(spec, c, { "app.kubernetes.io/part-of": "lockstep" }));

const matches = (selector: Selector | undefined, labels: Labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
/** One peer of a rule in a policy of namespace `ns`. Address blocks are taken to match addresses outside the cluster's pods only. */
function peerMatches(peer: Peer, ns: string, e: Endpoint): boolean {
  if (peer.ipBlock) return e.external === true && peer.ipBlock.cidr === "0.0.0.0/0";
  if (e.external) return false;
  const namespace = e.namespace ?? NS;
  const inNamespace = peer.namespaceSelector
    ? matches(peer.namespaceSelector, { "kubernetes.io/metadata.name": namespace })
    : namespace === ns;
  return inNamespace && (peer.podSelector === undefined || matches(peer.podSelector, e.labels ?? {}));
}
/** Whether `policies` let `local` (in the policies' namespace) take this connection in one direction. */
function side(
  policies: Policy[],
  type: "Ingress" | "Egress",
  local: Endpoint,
  remote: Endpoint,
  port: number,
  protocol: string,
): boolean {
  if (local.external || (local.namespace ?? NS) !== NS) return true; // no policy anywhere else
  const selecting = policies.filter(
    (p) => p.spec.policyTypes.includes(type) && matches(p.spec.podSelector, local.labels ?? {}),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (((type === "Ingress" ? p.spec.ingress : p.spec.egress) as Rule[] | undefined) ?? []).some((r) => {
      const peers = type === "Ingress" ? r.from : r.to;
      const peerOk = peers === undefined || peers.some((peer) => peerMatches(peer, p.metadata.namespace, remote));
      return peerOk && (r.ports === undefined || r.ports.some((x) => x.port === port && x.protocol === protocol));
    }),
  );
}
const allowed = (policies: Policy[], from: Endpoint, to: Endpoint, port: number, protocol = "TCP") =>
  side(policies, "Egress", from, to, port, protocol) && side(policies, "Ingress", to, from, port, protocol);

const name = (n: string): Labels => ({ "app.kubernetes.io/name": n });
const pod = {
  gateway: { labels: name("gateway") },
  console: { labels: name("console") },
  api: { labels: name("api") },
  worker: { labels: { "app.kubernetes.io/name": "worker-export", "app.kubernetes.io/component": "workers" } },
  keycloak: { labels: { "app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": "keycloak" } },
  openbao: { labels: { "app.kubernetes.io/name": "openbao", "app.kubernetes.io/instance": "openbao" } },
  prometheus: { labels: { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "prometheus" } },
  platformDb: { labels: { "cnpg.io/cluster": "platform-db" } },
  identityDb: { labels: { "cnpg.io/cluster": "keycloak-db" } },
  intruder: { labels: name("intruder") },
  gatewayNs: { namespace: "gateway-system", labels: { app: "envoy" } },
  operator: { namespace: "cnpg-system", labels: name("cloudnative-pg") },
  otherInOperatorNs: { namespace: "cnpg-system", labels: name("something-else") },
  dns: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
  notDns: { namespace: "kube-system", labels: { "k8s-app": "metrics-server" } },
  internet: { external: true as const },
} satisfies Record<string, Endpoint>;
type Pod = keyof typeof pod;

describe("networkPolicies, judged as Kubernetes would", () => {
  // Rendered in a hook, not while the suite is collected, so each test judges the code as it is then.
  let policies: Policy[] = [];
  before(() => {
    policies = rendered(ctx());
  });
  const flow = ([from, to, port, protocol]: [Pod, Pod, number, string?]) =>
    `${from} -> ${to}:${port}${protocol ? `/${protocol}` : ""}`;

  it("lets through every flow the components need", () => {
    const needed: [Pod, Pod, number, string?][] = [
      ["gatewayNs", "gateway", 41002],
      ["gateway", "api", 8080],
      ["gateway", "keycloak", 8080],
      ["gateway", "openbao", 8200],
      ["gateway", "internet", 443],
      ["gatewayNs", "console", 3000],
      ["console", "api", 8080],
      ["console", "keycloak", 8080],
      ["gatewayNs", "api", 8080],
      ["worker", "api", 8080],
      ["api", "platformDb", 5432],
      ["api", "keycloak", 8080],
      ["api", "openbao", 8200],
      ["worker", "platformDb", 5432],
      ["worker", "openbao", 8200],
      ["worker", "internet", 443],
      ["operator", "platformDb", 8000],
      ["operator", "platformDb", 5432],
      ["platformDb", "platformDb", 5432],
      ["platformDb", "platformDb", 8000],
      ["platformDb", "internet", 443],
      ["platformDb", "internet", 6443],
      ["keycloak", "identityDb", 5432],
      ["operator", "identityDb", 8000],
      ["identityDb", "identityDb", 5432],
      ["identityDb", "internet", 443],
      ["gatewayNs", "keycloak", 8080],
      ["keycloak", "keycloak", 7800],
      ["keycloak", "keycloak", 57800],
      ["openbao", "openbao", 8201],
      ["openbao", "openbao", 8200],
      ["openbao", "internet", 6443],
      ["openbao", "internet", 443],
      ["prometheus", "gateway", 41002],
      ["prometheus", "internet", 6443],
      ["prometheus", "internet", 443],
      ["internet", "prometheus", 9090],
      ["prometheus", "dns", 53, "UDP"],
      ["api", "dns", 53, "UDP"],
      ["gateway", "dns", 53, "TCP"],
      ["platformDb", "dns", 53, "UDP"],
      ["intruder", "dns", 53, "UDP"],
    ];
    const refused = needed.filter(
      ([from, to, port, protocol]) => !allowed(policies, pod[from], pod[to], port, protocol ?? "TCP"),
    );
    assert.deepEqual(refused.map(flow), []);
  });

  it("refuses everything else: other pods, other ports, other protocols, other peers", () => {
    const forbidden: [Pod, Pod, number, string?][] = [
      ["intruder", "api", 8080],
      ["intruder", "gateway", 41002],
      ["intruder", "platformDb", 5432],
      ["intruder", "internet", 443],
      ["gateway", "platformDb", 5432],
      ["gateway", "api", 9999],
      ["gateway", "console", 3000],
      ["gatewayNs", "gateway", 8080],
      ["gatewayNs", "openbao", 8200],
      ["gatewayNs", "platformDb", 5432],
      ["console", "openbao", 8200],
      ["console", "internet", 443],
      ["api", "internet", 443],
      ["api", "identityDb", 5432],
      ["worker", "identityDb", 5432],
      ["worker", "keycloak", 8080],
      ["keycloak", "platformDb", 5432],
      ["keycloak", "internet", 443],
      ["operator", "platformDb", 9999],
      ["otherInOperatorNs", "platformDb", 8000],
      ["platformDb", "internet", 9000],
      ["platformDb", "identityDb", 5432],
      ["openbao", "api", 8080],
      ["prometheus", "api", 8080],
      ["prometheus", "gateway", 8080],
      ["prometheus", "internet", 9000],
      ["intruder", "prometheus", 9090],
      ["gateway", "prometheus", 9090],
      ["gateway", "dns", 80],
      ["gateway", "notDns", 53, "UDP"],
      ["api", "dns", 53, "SCTP"],
      ["internet", "api", 8080],
    ];
    const let_through = forbidden.filter(([from, to, port, protocol]) =>
      allowed(policies, pod[from], pod[to], port, protocol ?? "TCP"),
    );
    assert.deepEqual(let_through.map(flow), []);
  });

  it("lets the databases reach an object store on its own port, and only then", () => {
    assert.equal(allowed(rendered(ctx({ objectStorePort: 9000 })), pod.platformDb, pod.internet, 9000), true);
    assert.equal(allowed(rendered(ctx({ objectStorePort: 9000 })), pod.platformDb, pod.internet, 443), true);
    assert.equal(allowed(rendered(ctx({ objectStorePort: 9000 })), pod.identityDb, pod.internet, 9000), true);
    assert.deepEqual(
      rendered(ctx())
        .find((p) => p.metadata.name === "platform-db-instances")
        ?.spec.egress?.[1].ports?.map((x) => x.port),
      [443, 6443],
      "443 is not listed twice",
    );
  });

  it("with the Gateway in the platform namespace, admits any pod there where it admits the Gateway (its own egress still decides)", () => {
    const local = rendered(ctx({ gatewayNamespace: NS }));
    assert.equal(side(local, "Ingress", pod.gateway, pod.intruder, 41002, "TCP"), true);
    assert.equal(side(local, "Ingress", pod.console, pod.intruder, 3000, "TCP"), true);
    assert.equal(
      side(local, "Ingress", pod.gateway, pod.gatewayNs, 41002, "TCP"),
      false,
      "another namespace no longer",
    );
    assert.equal(allowed(local, pod.intruder, pod.gateway, 41002), false, "the intruder may not send");
  });
});

describe("networkPolicyObject", () => {
  let objects: Policy[] = [];
  before(() => {
    objects = rendered(ctx());
  });
  const named = (n: string) => objects.find((p) => p.metadata.name === n) as Policy;

  it("renders NetworkPolicies in the platform namespace, labelled, each with its flow described", () => {
    assert.deepEqual(
      objects.map((p) => p.metadata.name),
      [
        DEFAULT_DENY,
        "allow-dns",
        "gateway",
        "console",
        "api",
        "workers",
        "platform-db-instances",
        "keycloak-db-instances",
        "keycloak",
        "prometheus",
        "openbao",
      ],
    );
    for (const p of objects) {
      assert.deepEqual(
        [p.apiVersion, p.kind, p.metadata.namespace, p.metadata.labels],
        ["networking.k8s.io/v1", "NetworkPolicy", NS, { "app.kubernetes.io/part-of": "lockstep" }],
      );
      assert.ok(
        p.metadata.annotations["lockstep.dev/flow"].length > 20,
        `${p.metadata.name}: ${p.metadata.annotations["lockstep.dev/flow"]}`,
      );
    }
    assert.equal(
      named("allow-dns").metadata.annotations["lockstep.dev/flow"],
      "every pod resolves names through the cluster DNS",
    );
  });

  it("denies both directions by default, with empty selectors and no rules, and lists only the types a spec has", () => {
    assert.deepEqual(named(DEFAULT_DENY).spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    assert.deepEqual(named("allow-dns").spec.policyTypes, ["Egress"]);
    assert.deepEqual(named("workers").spec.policyTypes, ["Egress"]);
    assert.deepEqual(named("api").spec.policyTypes, ["Ingress", "Egress"]);
  });

  it("no allow-list admits every pod of the namespace: each peer names pods, another namespace or an address block", () => {
    for (const spec of networkPolicies(ctx())) {
      for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) {
        for (const peer of rule.peers) {
          const selective =
            Boolean(peer.cidr) || (peer.namespace ?? NS) !== NS || Object.keys(peer.pods ?? {}).length > 0;
          assert.ok(selective, `${spec.name}: a peer that is every pod here: ${JSON.stringify(peer)}`);
        }
      }
    }
  });

  it("a spec with ingress rules alone isolates ingress alone", () => {
    const only = networkPolicyObject(
      {
        name: "x",
        description: "d",
        pods: { a: "b" },
        ingress: [{ peers: [{ pods: { c: "d" } }], ports: [{ port: 1 }] }],
      },
      ctx(),
      {},
    );
    assert.deepEqual(only.spec.policyTypes, ["Ingress"]);
  });

  it("selects a peer in another namespace by its name label, with or without pods, and one here by pods alone", () => {
    const rule = named("platform-db-instances").spec.ingress?.[1];
    assert.deepEqual(rule?.from, [
      {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "cloudnative-pg" } },
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "cnpg-system" } },
      },
    ]);
    assert.deepEqual(named("gateway").spec.ingress?.[0].from, [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gateway-system" } } },
      {
        podSelector: {
          matchLabels: { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "prometheus" },
        },
      },
    ]);
    assert.deepEqual(named("gateway").spec.egress?.[2].to, [{ ipBlock: { cidr: "0.0.0.0/0" } }]);
    const here = networkPolicyObject(
      {
        name: "x",
        description: "d",
        pods: {},
        ingress: [{ peers: [{ namespace: NS }, { namespace: NS, pods: { a: "b" } }], ports: [{ port: 1 }] }],
      },
      ctx(),
      {},
    );
    assert.deepEqual(
      here.spec.ingress,
      [
        {
          from: [{ podSelector: {} }, { podSelector: { matchLabels: { a: "b" } } }],
          ports: [{ port: 1, protocol: "TCP" }],
        },
      ],
      "a port without a protocol is TCP",
    );
  });
});
