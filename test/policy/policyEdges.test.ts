/**
 * The edges of each policy that mutation testing showed were unpinned: the boundary values, the exact
 * messages, the resources a policy must ignore, and the helpers the policies share. Same method as
 * policies.test.ts: a happy path from the real program, then one field changed at a time.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import type { RecordedResource } from "../../plan/runtime";
import * as policies from "../../policy/policies";
import { preStopSeconds, scaled } from "../../policy/policies/availability";
import { catalog, releaseRecord, selects, usePolicyCatalog } from "../../policy/policies/context";
import { labelsOf, podSpecOf } from "../../policy/policies/shapes";
import { toPolicyResources } from "../../plan/policyRunner";
import { PROJECT, runStack } from "../helpers";
import { check, container, edit, editRecord, fails, Loose, messages, passes, withCopy, without } from "../policyKit";

const AFTER_WINDOW = path.join(PROJECT, "test", "fixtures", "deployed-1.5.1-after-window.json");
const LOCKSTEP_LABELS = [
  "app.kubernetes.io/component",
  "app.kubernetes.io/version",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
];

const urnOf = (base: RecordedResource[], name: string): string => {
  const found = base.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found.urn;
};

/** A Deployment lockstep does not manage (no lockstep labels, no dependencies), like a team's own sidecar. */
function withForeignDeployment(base: RecordedResource[]): RecordedResource[] {
  return withCopy(base, "worker-export", "team-proxy", (r) => {
    const props = r.props as Loose;
    for (const labels of [props.metadata.labels, props.spec.template.metadata.labels])
      for (const l of LOCKSTEP_LABELS) delete labels[l];
    r.dependencyUrns = [];
    r.propertyDependencyUrns = {};
    r.parentUrn = base[0].urn;
  });
}

describe("policy edges", () => {
  let windowBase: RecordedResource[];
  let closedBase: RecordedResource[];
  let withData: RecordedResource[];
  let restored: RecordedResource[];
  before(async () => {
    windowBase = await runStack(
      "staging",
      "ha=true",
      "deployed=1.5.0",
      "console.live=green",
      "upgrade.gatewayCanaryPercent=10",
    );
    closedBase = await runStack("staging");
    withData = await runStack(
      "staging",
      `deployed=${AFTER_WINDOW}`,
      "release=1.5.0",
      "console.blue=1.5.0",
      'rollback={"from":"1.5.1","mode":"restore"}',
      'restore={"name":"rb","backupIDs":{"platform":"20261120T101500","identity":"20261120T101502"},"targetImmediate":true}',
    );
    restored = await runStack("staging", "deployed=1.5.1", 'restore={"name":"r1"}');
  });

  describe("Deployments lockstep does not manage", () => {
    it("are left alone by every policy that judges lockstep's workloads", async () => {
      const foreign = withForeignDeployment(windowBase);
      for (const p of [
        policies.mixedVersionCompatibility,
        policies.preUpgradeBackup,
        policies.rollingSafety,
        policies.releaseSetPinned,
        policies.blueGreenIntegrity,
      ])
        await passes(p, foreign);
      for (const p of [policies.rollbackWithData, policies.mixedVersionCompatibility])
        await passes(p, withForeignDeployment(withData));
      const recreating = withForeignDeployment(windowBase);
      (recreating.at(-1)?.props as Loose).spec.strategy = { type: "Recreate" };
      await passes(policies.rollingSafety, recreating);
    });
  });

  describe("disruption-budget", () => {
    it("accepts a spread by topology alone, or by anti-affinity alone", async () => {
      await passes(
        policies.disruptionBudget,
        edit(windowBase, "gateway", (p) => {
          delete p.spec.template.spec.affinity;
        }),
      );
      await passes(
        policies.disruptionBudget,
        edit(windowBase, "gateway", (p) => {
          delete p.spec.template.spec.topologySpreadConstraints;
        }),
      );
    });
    it("reads only a whole percentage: anything around it is not a number of pods", () => {
      assert.equal(scaled("50%", 4), 2);
      assert.ok(Number.isNaN(scaled("~50%", 4)));
      assert.ok(Number.isNaN(scaled("50%+1", 4)));
    });
  });

  describe("rolling-safety", () => {
    const strategy = (change: (s: Loose) => void) => (p: Loose) => change(p.spec.strategy);
    it("accepts the surge and unavailability values Kubernetes accepts as safe", async () => {
      for (const maxSurge of [1, 3, "1", "25%", "100%"])
        await passes(
          policies.rollingSafety,
          edit(
            windowBase,
            "gateway",
            strategy((s) => {
              s.rollingUpdate.maxSurge = maxSurge;
            }),
          ),
        );
      await passes(
        policies.rollingSafety,
        edit(
          windowBase,
          "gateway",
          strategy((s) => {
            s.rollingUpdate.maxUnavailable = "0%";
          }),
        ),
      );
    });
    it("refuses a surge that is not a positive count or percentage, naming it", async () => {
      for (const maxSurge of ["0%", "-1", "1.5", "x1", "05%"]) {
        assert.deepEqual(
          await messages(
            policies.rollingSafety,
            edit(
              windowBase,
              "gateway",
              strategy((s) => {
                s.rollingUpdate.maxSurge = maxSurge;
              }),
            ),
          ),
          [`gateway rollingUpdate.maxSurge must be at least 1, not ${JSON.stringify(maxSurge)}`],
        );
      }
    });
    it("names what is unset: the strategy type, maxUnavailable (Kubernetes' 25%) and maxSurge", async () => {
      assert.deepEqual(
        await messages(
          policies.rollingSafety,
          edit(
            windowBase,
            "gateway",
            strategy((s) => {
              delete s.type;
            }),
          ),
        ),
        ['gateway must use strategy RollingUpdate, not "unset"'],
      );
      assert.deepEqual(
        await messages(
          policies.rollingSafety,
          edit(
            windowBase,
            "gateway",
            strategy((s) => {
              delete s.rollingUpdate.maxUnavailable;
            }),
          ),
        ),
        [
          'gateway rollingUpdate.maxUnavailable must be 0, so a new pod is Ready before an old one goes, not "unset (25%)"',
        ],
      );
      assert.deepEqual(
        await messages(
          policies.rollingSafety,
          edit(
            windowBase,
            "gateway",
            strategy((s) => {
              delete s.rollingUpdate.maxSurge;
            }),
          ),
        ),
        ['gateway rollingUpdate.maxSurge must be at least 1, not "unset"'],
      );
    });
    it("refuses Recreate for a gateway even at a release whose workers may Recreate (2.0.0)", async () => {
      const gateway200 = edit(windowBase, "gateway", (p) => {
        p.metadata.labels["app.kubernetes.io/version"] = "2.0.0";
        p.spec.template.metadata.labels["app.kubernetes.io/version"] = "2.0.0";
        p.spec.strategy = { type: "Recreate" };
      });
      assert.deepEqual(await messages(policies.rollingSafety, gateway200), [
        "gateway must use strategy RollingUpdate; Recreate is only for workers whose release says rollout: recreate",
      ]);
    });
    it("asks probes and a preStop drain only of the API and gateways: workers serve no traffic", async () => {
      await passes(
        policies.rollingSafety,
        edit(
          windowBase,
          "worker-export",
          container((c) => {
            delete c.readinessProbe;
            delete c.lifecycle;
          }),
        ),
      );
    });
    it("reads `sleep` with any whitespace before the seconds", () => {
      assert.equal(
        preStopSeconds({ name: "c", lifecycle: { preStop: { exec: { command: ["sh", "-c", "sleep \t 7"] } } } }),
        7,
      );
    });
  });

  describe("pre-upgrade-backup", () => {
    const check = "await-platform-db-1-5-0-to-1-5-1";
    const backup = "pre-upgrade-platform-db-1-5-0-to-1-5-1";
    it("reports only the missing check when nothing awaits the Backup, not every dependent", async () => {
      assert.deepEqual(await messages(policies.preUpgradeBackup, without(windowBase, check)), [
        `Backup ${backup} must be awaited to completion by a Command that runs scripts/await-backup.sh for it and depends on it (it fails the up as soon as the Backup fails)`,
      ]);
    });
    it("refuses a check that depends on another Backup than the one it awaits", async () => {
      const keycloakBackup = urnOf(windowBase, "pre-upgrade-keycloak-db-1-5-0-to-1-5-1");
      const misplaced = structuredClone(windowBase).map((r) =>
        r.name === check ? { ...r, dependencyUrns: [keycloakBackup] } : r,
      );
      await fails(policies.preUpgradeBackup, misplaced, new RegExp(`Backup ${backup} must be awaited to completion`));
    });
    it("says why each dependent waits, and names every check", async () => {
      const second = withCopy(windowBase, check, "await-platform-db-again");
      const cut = second.map((r) => ({
        ...r,
        dependencyUrns: r.dependencyUrns.filter(
          (u) => !u.endsWith(`::${check}`) && !u.endsWith("::await-platform-db-again"),
        ),
      }));
      const found = await messages(policies.preUpgradeBackup, cut);
      assert.ok(
        found.includes(
          `API Deployment api must depend on the pre-upgrade backup checks and the OpenBao snapshot, and does not on ${check} or await-platform-db-again, so migrations never run before the backups complete`,
        ),
        JSON.stringify(found),
      );
      assert.ok(
        found.includes(
          `chart release openbao must depend on the pre-upgrade backup checks and the OpenBao snapshot, and does not on ${check} or await-platform-db-again, so no chart or operator changes before the backups complete`,
        ),
        JSON.stringify(found),
      );
    });
    it("accepts a dependent that waits for any one of the checks", async () => {
      await passes(policies.preUpgradeBackup, withCopy(windowBase, check, "await-platform-db-again"));
    });
  });

  describe("database-backup", () => {
    it("counts only an ObjectStore as the store, not another kind with its name", async () => {
      const impostor = withCopy(
        without(windowBase, "platform-db-objectstore"),
        "lockstep-release",
        "platform-db-store-cm",
        (r) => {
          const props = r.props as Loose;
          props.metadata.name = "platform-db-store";
          props.spec = { configuration: { destinationPath: "s3://elsewhere" }, retentionPolicy: "30d" };
        },
      );
      assert.deepEqual(await messages(policies.databaseBackup, impostor), [
        'Cluster platform-db must point its backup plugin at an ObjectStore declared in the stack (barmanObjectName "platform-db-store")',
      ]);
    });
    it("counts only the Barman Cloud plugin as the WAL archiver, and names an unset store", async () => {
      await fails(
        policies.databaseBackup,
        edit(windowBase, "platform-db-cluster", (p) => {
          p.spec.plugins[0].name = "some-other-plugin";
        }),
        /Cluster platform-db must archive WAL through the barman-cloud\.cloudnative-pg\.io plugin/,
      );
      assert.deepEqual(
        await messages(
          policies.databaseBackup,
          edit(windowBase, "platform-db-cluster", (p) => {
            delete p.spec.plugins[0].parameters.barmanObjectName;
          }),
        ),
        [
          'Cluster platform-db must point its backup plugin at an ObjectStore declared in the stack (barmanObjectName "unset")',
        ],
      );
    });
  });

  describe("pod-security", () => {
    const api = (change: (p: Loose) => void) => edit(windowBase, "api", change);
    const podCtx = (p: Loose) => p.spec.template.spec.securityContext;
    const ctx = (p: Loose) => p.spec.template.spec.containers[0].securityContext;
    it("takes runAsNonRoot and seccomp from the container, else from the pod", async () => {
      await passes(
        policies.podSecurity,
        api((p) => {
          delete ctx(p).runAsNonRoot;
        }),
      );
      await passes(
        policies.podSecurity,
        api((p) => {
          podCtx(p).runAsNonRoot = false;
        }),
      );
      await passes(
        policies.podSecurity,
        api((p) => {
          delete ctx(p).seccompProfile;
        }),
      );
      await passes(
        policies.podSecurity,
        api((p) => {
          delete podCtx(p).seccompProfile;
        }),
      );
    });
    it("accepts a Localhost seccomp profile and NET_BIND_SERVICE, and names what else it refuses", async () => {
      await passes(
        policies.podSecurity,
        api((p) => {
          ctx(p).seccompProfile = { type: "Localhost", localhostProfile: "lockstep.json" };
        }),
      );
      await passes(
        policies.podSecurity,
        api((p) => {
          ctx(p).capabilities.add = ["NET_BIND_SERVICE"];
        }),
      );
      assert.deepEqual(
        await messages(
          policies.podSecurity,
          api((p) => {
            ctx(p).capabilities.add = ["NET_BIND_SERVICE", "NET_ADMIN"];
          }),
        ),
        ["container api must not add capabilities other than NET_BIND_SERVICE"],
      );
      assert.deepEqual(
        await messages(
          policies.podSecurity,
          api((p) => {
            ctx(p).seccompProfile = { type: "Unconfined" };
          }),
        ),
        ['container api must use seccomp profile RuntimeDefault (or Localhost), not "Unconfined"'],
      );
      assert.deepEqual(
        await messages(
          policies.podSecurity,
          api((p) => {
            delete ctx(p).seccompProfile;
            delete podCtx(p).seccompProfile;
          }),
        ),
        ['container api must use seccomp profile RuntimeDefault (or Localhost), not "unset"'],
      );
    });
    it("needs each of the four requests and limits", async () => {
      for (const [kind, key] of [
        ["requests", "cpu"],
        ["requests", "memory"],
        ["limits", "cpu"],
        ["limits", "memory"],
      ]) {
        assert.deepEqual(
          await messages(
            policies.podSecurity,
            api(
              container((c) => {
                delete c.resources[kind][key];
              }),
            ),
          ),
          ["container api must set cpu and memory requests and limits"],
          `${kind}.${key}`,
        );
      }
      assert.deepEqual(
        await messages(
          policies.podSecurity,
          api(
            container((c) => {
              delete c.resources.requests;
            }),
          ),
        ),
        ["container api must set cpu and memory requests and limits"],
      );
    });
    it("checks a chart's pod context for seccomp, and leaves a container's seccomp to its pod", async () => {
      assert.deepEqual(
        await messages(
          policies.podSecurity,
          edit(windowBase, "cnpg-operator", (p) => {
            delete p.values.podSecurityContext.seccompProfile;
          }),
        ),
        ["chart release cnpg: values.podSecurityContext must set seccompProfile RuntimeDefault"],
      );
      await passes(
        policies.podSecurity,
        edit(windowBase, "cnpg-operator", (p) => {
          delete p.values.containerSecurityContext.seccompProfile;
        }),
      );
    });
    it("refuses each weakening of a chart's container context, by name", async () => {
      const cases: [(c: Loose) => void, string][] = [
        [
          (c) => {
            c.allowPrivilegeEscalation = true;
          },
          "must set allowPrivilegeEscalation: false",
        ],
        [
          (c) => {
            c.privileged = true;
          },
          "must not be privileged",
        ],
        [
          (c) => {
            delete c.capabilities;
          },
          "must drop ALL capabilities",
        ],
      ];
      for (const [change, problem] of cases) {
        assert.deepEqual(
          await messages(
            policies.podSecurity,
            edit(windowBase, "cnpg-operator", (p) => change(p.values.containerSecurityContext)),
          ),
          [`chart release cnpg: values.containerSecurityContext ${problem}`],
        );
      }
    });
  });

  describe("restore-integrity", () => {
    const cluster = "platform-db-r1-cluster";
    it("counts only the Barman Cloud plugin, archiving, as where the cluster writes its WAL", async () => {
      // Neither plugin archives under the source's serverName, so there is no clash to report (database-backup reports the missing archiver).
      for (const change of [
        (pl: Loose) => {
          pl.isWALArchiver = false;
        },
        (pl: Loose) => {
          pl.name = "some-other-plugin";
        },
      ]) {
        await passes(
          policies.restoreIntegrity,
          edit(restored, cluster, (p) => {
            p.spec.plugins[0].parameters.serverName = "platform-db";
            change(p.spec.plugins[0]);
          }),
        );
      }
    });
    it("counts only an ObjectStore as the store to recover from", async () => {
      const impostor = withCopy(without(restored, "platform-db-objectstore"), "lockstep-release", "store-cm", (r) => {
        (r.props as Loose).metadata.name = "platform-db-store";
      });
      assert.ok(
        (await messages(policies.restoreIntegrity, impostor)).includes(
          'Cluster platform-db-r1 must recover from an ObjectStore declared in the stack (barmanObjectName "platform-db-store")',
        ),
      );
    });
    it("names an unset recovery source and an unset store", async () => {
      assert.deepEqual(
        await messages(
          policies.restoreIntegrity,
          edit(restored, cluster, (p) => {
            delete p.spec.bootstrap.recovery.source;
          }),
        ),
        [
          'Cluster platform-db-r1 must name an externalClusters entry in bootstrap.recovery.source ("unset" is not one)',
        ],
      );
      assert.deepEqual(
        await messages(
          policies.restoreIntegrity,
          edit(restored, cluster, (p) => {
            delete p.spec.externalClusters[0].plugin.parameters.barmanObjectName;
          }),
        ),
        ['Cluster platform-db-r1 must recover from an ObjectStore declared in the stack (barmanObjectName "unset")'],
      );
    });
  });

  describe("rollback-with-data", () => {
    it("names the writers-down Commands the restored cluster must wait for, and accepts waiting for any one", async () => {
      const cut = structuredClone(withData).map((r) => ({
        ...r,
        dependencyUrns: r.dependencyUrns.filter((u) => !u.endsWith("::writers-down-rb")),
      }));
      assert.deepEqual(await messages(policies.rollbackWithData, cut), [
        "Cluster platform-db-rb must be restored only after the writers stopped (depend on writers-down-rb)",
      ]);
      await passes(policies.rollbackWithData, withCopy(withData, "writers-down-rb", "writers-down-again"));
      const bothCut = withCopy(withData, "writers-down-rb", "writers-down-again").map((r) => ({
        ...r,
        dependencyUrns: r.dependencyUrns.filter((u) => !/::writers-down-(rb|again)$/.test(u)),
      }));
      assert.deepEqual(await messages(policies.rollbackWithData, bothCut), [
        "Cluster platform-db-rb must be restored only after the writers stopped (depend on writers-down-rb, writers-down-again)",
      ]);
    });
  });

  describe("mixed-version-compatibility", () => {
    it("points the violation at the workload that breaks the state", async () => {
      const v = await check(
        policies.mixedVersionCompatibility,
        edit(windowBase, "console-green", (p) => {
          p.spec.template.metadata.labels["app.kubernetes.io/version"] = "1.3.4";
        }),
      );
      assert.equal(v.length, 1);
      assert.equal(v[0].resource, "console-green");
    });
  });

  describe("blue-green-integrity", () => {
    it("judges the idle color against the API, whichever Deployment comes first", async () => {
      // A worker at 1.3.4 listed first: the idle console (1.5.0) is inside API 1.5.1's window, not 1.3.4's.
      const reordered = edit(windowBase, "worker-export", (p) => {
        p.spec.template.metadata.labels["app.kubernetes.io/version"] = "1.3.4";
      });
      const worker = reordered.findIndex((r) => r.name === "worker-export");
      const [moved] = reordered.splice(worker, 1);
      reordered.unshift(moved);
      await passes(policies.blueGreenIntegrity, reordered);
    });
    it("points a live color rolled in place at that color's Deployment", async () => {
      const rolled = editRecord(windowBase, (r) => {
        r.console.green = "1.5.1";
      });
      const v = await check(policies.blueGreenIntegrity, rolled);
      assert.deepEqual(
        v.map((x) => [x.resource, /console-green is the live color and must not roll in place/.test(x.message)]),
        [["console-green", true]],
      );
    });
    it("names a live Service that selects any color", async () => {
      assert.deepEqual(
        await messages(
          policies.blueGreenIntegrity,
          edit(windowBase, "console-svc", (p) => {
            delete p.spec.selector["lockstep.dev/color"];
          }),
        ),
        ['the live console Service must select exactly one color (lockstep.dev/color=blue or green), not "any"'],
      );
    });
  });

  describe("canary-bounds", () => {
    const weights =
      (...w: (number | undefined)[]) =>
      (p: Loose) =>
        w.forEach((x, i) => {
          if (x === undefined) delete p.spec.rules[0].backendRefs[i].weight;
          else p.spec.rules[0].backendRefs[i].weight = x;
        });
    it("leaves a single stable backend alone, whatever its weight", async () => {
      await passes(policies.canaryBounds, edit(closedBase, "gateway-route", weights(undefined)));
    });
    it("checks two backends even with no canary among them", async () => {
      const twoStable = edit(closedBase, "gateway-route", (p) => {
        p.spec.rules[0].backendRefs.push({ name: "gateway-stable-b", port: 80, weight: 10 });
      });
      assert.deepEqual(await messages(policies.canaryBounds, twoStable), [
        "route gateway-route backend weights must sum to 100, not 110 (gateway-stable=100, gateway-stable-b=10)",
      ]);
    });
    it("leaves a rule with no backends alone (a redirect, say)", async () => {
      await passes(
        policies.canaryBounds,
        edit(windowBase, "gateway-route", (p) => {
          p.spec.rules.push({ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https" } }] });
        }),
      );
    });
    it("checks a single backend that is the canary", async () => {
      const onlyCanary = edit(windowBase, "gateway-route", (p) => {
        p.spec.rules[0].backendRefs.shift();
      });
      assert.deepEqual(await messages(policies.canaryBounds, onlyCanary), [
        "route gateway-route backend weights must sum to 100, not 10 (gateway-canary=10)",
        "canary gateway-canary must take at most 50% of traffic, not 100% (raise canary-bounds.maxCanaryPercent for this stack to allow more)",
      ]);
    });
    it("counts a backend with no weight as 1, as Gateway API does", async () => {
      assert.deepEqual(
        await messages(policies.canaryBounds, edit(windowBase, "gateway-route", weights(90, undefined))),
        ["route gateway-route backend weights must sum to 100, not 91 (gateway-stable=90, gateway-canary=1)"],
      );
    });
    it("does not divide by a zero total: only the sum is reported", async () => {
      assert.deepEqual(await messages(policies.canaryBounds, edit(windowBase, "gateway-route", weights(0, 0))), [
        "route gateway-route backend weights must sum to 100, not 0 (gateway-stable=0, gateway-canary=0)",
      ]);
    });
    it("accepts a canary exactly at the maximum", async () => {
      await passes(policies.canaryBounds, windowBase, { maxCanaryPercent: 10 });
      await fails(policies.canaryBounds, windowBase, /canary gateway-canary must take at most 9% of traffic, not 10%/, {
        maxCanaryPercent: 9,
      });
    });
  });

  describe("release-set-pinned", () => {
    it("names a container with no image at all", async () => {
      assert.deepEqual(
        await messages(
          policies.releaseSetPinned,
          edit(
            windowBase,
            "api",
            container((c) => {
              delete c.image;
            }),
          ),
        ),
        ['container api image "" must be pinned by digest (repo@sha256:<64 hex>)'],
      );
    });
    it("lists the catalog's versions when a label names another", async () => {
      const found = await messages(
        policies.releaseSetPinned,
        edit(windowBase, "worker-export", (p) => {
          p.spec.template.metadata.labels["app.kubernetes.io/version"] = "1.9.9";
        }),
      );
      assert.deepEqual(found, [
        'workers declares app.kubernetes.io/version="1.9.9", which must be a version in the release catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)',
      ]);
    });
  });

  describe("prod-promoted-only", () => {
    it("gates a stack whose environment is prod, whatever its name", async () => {
      const renamed = editRecord(await runStack("prod"), (r) => {
        r.stack = "prod-eu";
        r.promotion = null;
      });
      assert.deepEqual(await messages(policies.prodPromotedOnly, renamed), [
        "prod-eu must run a promoted set: lockstep:promotion is missing; promote 1.5.1 from staging with `lockstep promote --from staging --to prod-eu`",
      ]);
    });
    it("adds why only for a stack that is production by name alone", async () => {
      const prod = await runStack("prod");
      const [plain] = await messages(
        policies.prodPromotedOnly,
        editRecord(prod, (r) => {
          r.promotion = null;
        }),
      );
      assert.equal(
        plain,
        "prod must run a promoted set: lockstep:promotion is missing; promote 1.5.1 from staging with `lockstep promote --from staging --to prod`",
      );
      const [byName] = await messages(
        policies.prodPromotedOnly,
        editRecord(prod, (r) => {
          r.environment = "staging";
          r.promotion = null;
        }),
      );
      assert.match(byName, / \(stack prod is production by name, whatever its lockstep:environment says\)$/);
    });
  });

  describe("shared helpers", () => {
    it("finds the release record among other ConfigMaps and among other kinds named like it", () => {
      const decoys = withCopy(
        withCopy(windowBase, "lockstep-release", "other-config", (r) => {
          (r.props as Loose).data = {};
        }),
        "api-svc",
        "lockstep-release-svc",
        (r) => {
          (r.props as Loose).metadata.name = "lockstep-release";
        },
      );
      const [first, second] = [decoys.at(-2) as RecordedResource, decoys.at(-1) as RecordedResource];
      const ordered = [first, second, ...decoys.slice(0, -2)];
      const found = releaseRecord(toPolicyResources(ordered));
      assert.ok(found && "record" in found, "the release record must be found");
      assert.equal(found.record.release, "1.5.1");
    });
    it("says what is wrong with a record ConfigMap: no key, or a key that is not the schema", () => {
      const noKey = releaseRecord(
        toPolicyResources(
          edit(windowBase, "lockstep-release", (p) => {
            p.data = {};
          }),
        ),
      );
      assert.deepEqual(
        noKey && "error" in noKey ? noKey.error : noKey,
        "ConfigMap lockstep-release must have a release.json key",
      );
      const wrong = releaseRecord(
        toPolicyResources(
          editRecord(windowBase, (r) => {
            (r.console as Loose).live = "purple";
          }),
        ),
      );
      assert.match(
        wrong && "error" in wrong ? wrong.error : "",
        /^ConfigMap lockstep-release release\.json must match the record schema: console\.live: /,
      );
    });
    it("selects by every label of a non-empty selector", () => {
      assert.equal(selects({ a: "1", b: "2" }, { a: "1", b: "2", c: "3" }), true);
      assert.equal(selects({ a: "1", b: "2" }, { a: "1" }), false);
      assert.equal(selects({}, { a: "1" }), false);
      assert.equal(selects(undefined, { a: "1" }), false);
    });
    it("uses the catalog the plan hands over", () => {
      const original = catalog();
      const handed = { ...original, versions: ["9.9.9"] };
      try {
        usePolicyCatalog(handed);
        assert.equal(catalog(), handed);
      } finally {
        usePolicyCatalog(original);
      }
    });
    it("finds the pod spec of each workload kind, and of nothing else", () => {
      const pod = { containers: [{ name: "c", image: "i" }] };
      assert.deepEqual(
        podSpecOf("kubernetes:core/v1:Pod", { spec: pod })?.containers.map((c) => c.name),
        ["c"],
      );
      assert.deepEqual(
        podSpecOf("kubernetes:batch/v1:CronJob", {
          spec: { jobTemplate: { spec: { template: { spec: pod } } } },
        })?.containers.map((c) => c.name),
        ["c"],
      );
      assert.deepEqual(
        podSpecOf("kubernetes:apps/v1:StatefulSet", { spec: { template: { spec: pod } } })?.containers.map(
          (c) => c.name,
        ),
        ["c"],
      );
      assert.equal(podSpecOf("kubernetes:apps/v1:DeploymentList", { spec: { template: { spec: pod } } }), undefined);
      assert.equal(podSpecOf("x-kubernetes:apps/v1:Deployment", { spec: { template: { spec: pod } } }), undefined);
      assert.equal(podSpecOf("kubernetes:core/v1:ConfigMap", { spec: pod }), undefined);
    });
    it("merges a workload's labels with its pod template's, the template winning", () => {
      assert.deepEqual(
        labelsOf({
          metadata: { labels: { a: "1", b: "1" } },
          spec: { template: { metadata: { labels: { b: "2" } } } },
        }),
        { a: "1", b: "2" },
      );
    });
  });
});
