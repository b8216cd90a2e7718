/**
 * Each policy, called directly: a happy path taken from the real program's output (HA, an open window
 * with a canary), then one field changed at a time.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog } from "../../lib/release/catalog";
import { analyzerProxy, toPolicyResources } from "../../plan/policyRunner";
import type { RecordedResource } from "../../plan/runtime";
import * as policies from "../../policy/policies";
import { preStopSeconds, scaled } from "../../policy/policies/availability";
import { readableRecord } from "../../policy/policies/context";
import { ROLLING_WINDOW, runStack } from "../helpers";
import { check, container, edit, editRecord, fails, Loose, messages, passes, withCopy, without } from "../policyKit";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);

const record = (stack: string, ...sets: string[]): Promise<RecordedResource[]> => runStack(stack, ...sets);

describe("policies", () => {
  // The 1.5.0 -> 1.5.1 window with a canary, as the program renders it, is where most cases change one
  // field. 1.5.1's migrations are contract, so that window is lawful only coordinated (no canary), and
  // its live color rolls in place: the happy paths are a lawful rolling window and prod instead.
  let windowBase: RecordedResource[];
  let compliantWindow: RecordedResource[];
  let prodBase: RecordedResource[];
  before(async () => {
    windowBase = await record("staging", "ha=true", "deployed=1.5.0", "upgrade.gatewayCanaryPercent=10");
    compliantWindow = await record("staging", "ha=true", ...ROLLING_WINDOW, "upgrade.gatewayCanaryPercent=10");
    prodBase = await record("prod");
  });

  describe("policy metadata", () => {
    it("gives every policy a kebab-case name, a 'Checks whether' description and a default level", () => {
      assert.equal(policies.ALL_POLICIES.length, 17);
      for (const p of policies.ALL_POLICIES) {
        assert.match(p.name, /^[a-z]+(-[a-z0-9]+)*$/);
        assert.match(p.description, /^Checks whether /);
        assert.ok(p.enforcementLevel);
      }
    });
    it("passes the happy paths with no violations at all", async () => {
      for (const p of policies.ALL_POLICIES) {
        await passes(p, compliantWindow);
        await passes(p, prodBase);
      }
    });
  });

  describe("preview: values the engine does not know yet", () => {
    /** What a preview leaves unknown on objects being created: server-set metadata and status. */
    function withPreviewUnknowns(base: RecordedResource[]): RecordedResource[] {
      const copy = structuredClone(base);
      for (const r of copy.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) {
        const props = r.props as Loose;
        props.status = analyzerProxy.unknownObjectValue;
        props.metadata = {
          ...props.metadata,
          uid: analyzerProxy.unknownStringValue,
          resourceVersion: analyzerProxy.unknownStringValue,
          creationTimestamp: analyzerProxy.unknownStringValue,
        };
      }
      return copy;
    }

    it("no policy reads them, so every policy still runs at its own level under pulumi preview", async () => {
      for (const base of [compliantWindow, prodBase]) {
        for (const p of policies.ALL_POLICIES) {
          const v = await check(p, withPreviewUnknowns(base));
          assert.deepEqual(
            v.map((x) => x.message),
            [],
            `${p.name} read a value unknown at preview`,
          );
        }
      }
    });

    it("a policy that needs an unknown value is downgraded to advisory, as the analyzer does", async () => {
      const unknownWeight = withPreviewUnknowns(windowBase);
      (unknownWeight.find((r) => r.name === "gateway-route")?.props as Loose).spec.rules[0].backendRefs[1].weight =
        analyzerProxy.unknownStringValue;
      const v = await check(policies.canaryBounds, unknownWeight);
      assert.equal(v.length, 1);
      assert.equal(v[0].level, "advisory");
      assert.match(v[0].message, /can't run policy 'canary-bounds' during preview/);
    });
  });

  describe("release-set-pinned", () => {
    it("refuses a tag-only image", async () =>
      fails(
        policies.releaseSetPinned,
        edit(
          windowBase,
          "api",
          container((c) => {
            c.image = "registry.lockstep.example/aigw/api:1.5.1";
          }),
        ),
        /must be pinned by digest/,
      ));
    it("refuses a digest that is not the catalog's for that version", async () => {
      const otherDigest = getRelease(catalog, "1.5.0").components.api.image;
      await fails(
        policies.releaseSetPinned,
        edit(
          windowBase,
          "api",
          container((c) => {
            c.image = otherDigest;
          }),
        ),
        /must equal the catalog's api 1\.5\.1 digest/,
      );
    });
    it("checks init containers too: a tag-only image there is refused", async () =>
      fails(
        policies.releaseSetPinned,
        edit(windowBase, "api", (p) => {
          p.spec.template.spec.initContainers = [{ name: "wait-for-db", image: "busybox:1.36" }];
        }),
        /container wait-for-db image "busybox:1\.36" must be pinned by digest/,
      ));
    it("refuses a version label that is not in the catalog", async () =>
      fails(
        policies.releaseSetPinned,
        edit(windowBase, "worker-export", (p) => {
          p.spec.template.metadata.labels["app.kubernetes.io/version"] = "1.9.9";
        }),
        /1\.9\.9.*must be a version in the release catalog/,
      ));
    it("refuses a chart release whose image is not the catalog's for that chart version, naming the value", async () => {
      const digest = getRelease(catalog, "1.5.1").charts.observability.images.server.split("@")[1];
      await fails(
        policies.releaseSetPinned,
        edit(windowBase, "prometheus", (p) => {
          p.values.server.image.digest = `sha256:${"0".repeat(64)}`;
        }),
        new RegExp(
          `chart release prometheus: values\\.server\\.image\\.digest must be "${digest}", the catalog's image for observability 29\\.27\\.0, not "sha256:0{64}"`,
        ),
      );
      await fails(
        policies.releaseSetPinned,
        edit(windowBase, "openbao", (p) => {
          p.values.server.image.tag = "2.4.3";
        }),
        /chart release openbao: values\.server\.image\.tag must be "2\.4\.3@sha256:[0-9a-f]{64}", the catalog's image/,
      );
    });
    it("refuses a chart version the catalog never pins, naming the versions it does", async () =>
      fails(
        policies.releaseSetPinned,
        edit(windowBase, "prometheus", (p) => {
          p.version = "29.30.0";
        }),
        /chart release prometheus: chart version "29\.30\.0" must be one the release catalog pins for observability \(29\.25\.0, 29\.27\.0\)/,
      ));
  });

  describe("mixed-version-compatibility", () => {
    const label = (version: string) => (p: Loose) => {
      p.spec.template.metadata.labels["app.kubernetes.io/version"] = version;
    };
    it("refuses a console two minors behind the API, naming the state where it first breaks", async () =>
      fails(
        policies.mixedVersionCompatibility,
        edit(windowBase, "console-green", label("1.3.4")),
        /the first that is not is after wave console: api 1\.5\.1 with console-green 1\.3\.4 \(console 1\.3\.4 must be in >=1\.4\.0 <1\.6\.0 beside API 1\.5\.1\)/,
      ));
    it("refuses a gateway newer than the API", async () =>
      fails(
        policies.mixedVersionCompatibility,
        edit(windowBase, "gateway-canary", label("2.0.0")),
        /after wave gateways: api 1\.5\.1 with gateway-canary 2\.0\.0/,
      ));
    it("refuses a state between waves that the final state hides: the deployed gateways beside the new API", async () => {
      // Deployed 1.3.4 everywhere and target 1.5.1: the final state is fine, but after the API wave the API
      // 1.5.1 serves 1.3.4 gateways.
      const from134 = editRecord(windowBase, (r) => {
        r.upgradeFrom = "1.3.4";
        r.deployed = {
          release: "1.3.4",
          workloads: Object.fromEntries(Object.keys(r.deployed?.workloads ?? {}).map((w) => [w, "1.3.4"])),
        };
      });
      await fails(policies.mixedVersionCompatibility, from134, /after wave api: api 1\.5\.1 with gateway 1\.3\.4/);
    });
    it("checks only the final state in a coordinated window", async () => {
      const coordinated = editRecord(windowBase, (r) => {
        r.upgradeFrom = "1.3.4";
        r.upgradeMode = "coordinated";
        r.deployed = { release: "1.3.4", workloads: { api: "1.3.4", gateway: "1.3.4" } };
      });
      await passes(policies.mixedVersionCompatibility, coordinated);
    });
    it("names the way through a major: a coordinated window", async () => {
      const major = await runStack(
        "staging",
        "deployed=1.5.1",
        "release=2.0.0",
        "console.blue=2.0.0",
        "console.green=2.0.0",
      );
      await fails(
        policies.mixedVersionCompatibility,
        major,
        /the first that is not is after wave api: api 2\.0\.0 with gateway 1\.5\.1, .* \(gateway 1\.5\.1 must be in >=2\.0\.0 <2\.1\.0 beside API 2\.0\.0; .*\); a major version moves in a coordinated window: set lockstep:upgrade\.mode=coordinated/,
      );
    });
  });

  describe("upgrade-path", () => {
    it("refuses skipping a minor and names the path to take", async () =>
      fails(
        policies.upgradePath,
        editRecord(windowBase, (r) => {
          r.upgradeFrom = "1.3.4";
        }),
        /take 1\.3\.4 -> 1\.4\.2 -> 1\.5\.1 instead/,
      ));
    it("refuses a downgrade", async () =>
      fails(
        policies.upgradePath,
        editRecord(windowBase, (r) => {
          r.upgradeFrom = "2.0.0";
        }),
        /2\.0\.0 -> 1\.5\.1 moves backward and must be a rollback.*lockstep rollback --stack staging/,
      ));
    it("refuses a major bump the target does not list", async () =>
      fails(
        policies.upgradePath,
        editRecord(windowBase, (r) => {
          r.release = "2.0.0";
          r.upgradeFrom = "1.4.2";
        }),
        /must list 1\.4\.2 among its upgrade sources/,
      ));
    it("has nothing to say with the window closed", async () =>
      passes(
        policies.upgradePath,
        editRecord(windowBase, (r) => {
          r.upgradeFrom = null;
        }),
      ));
    it("refuses a listed major step as a rolling window, and accepts it coordinated", async () => {
      const major = (mode: "rolling" | "coordinated") =>
        editRecord(windowBase, (r) => {
          r.release = "2.0.0";
          r.upgradeFrom = "1.5.1";
          r.upgradeMode = mode;
        });
      await fails(
        policies.upgradePath,
        major("rolling"),
        /upgrade 1\.5\.1 -> 2\.0\.0 crosses a major version and must run as a coordinated window \(lockstep:upgrade\.mode=coordinated\)/,
      );
      await passes(policies.upgradePath, major("coordinated"));
    });
  });

  describe("upgrade-path: contract migrations", () => {
    const contract = (mode: "rolling" | "coordinated", from = "1.4.2") =>
      editRecord(compliantWindow, (r) => {
        r.release = "1.5.0";
        r.upgradeFrom = from;
        r.upgradeMode = mode;
        if (r.deployed) r.deployed.workloads.api = from;
      });
    it("refuses a release whose migrations are contract as a rolling window, and accepts it coordinated", async () => {
      await fails(
        policies.upgradePath,
        contract("rolling"),
        /upgrade 1\.4\.2 -> 1\.5\.0 must run as a coordinated window \(lockstep:upgrade\.mode=coordinated\): the migrations of 1\.5\.0 are contract/,
      );
      await passes(policies.upgradePath, contract("coordinated"));
    });
    it("passes an expand-only release as a rolling window (the happy path's 1.3.4 -> 1.4.2)", async () =>
      passes(policies.upgradePath, compliantWindow));
    it("has nothing to say once the API runs the target (a canary of the gateways still in flight)", async () =>
      passes(
        policies.upgradePath,
        editRecord(contract("rolling"), (r) => {
          if (r.deployed) r.deployed.workloads.api = "1.5.0";
        }),
      ));
  });

  describe("blue-green-integrity: the live color keeps its version", () => {
    it("refuses the live color rolling in place", async () =>
      fails(
        policies.blueGreenIntegrity,
        editRecord(compliantWindow, (r) => {
          r.console.green = "1.4.2";
        }),
        /console-green is the live color and must not roll in place from 1\.3\.4 to 1\.4\.2: put 1\.4\.2 on the idle color \(lockstep:console\.blue: 1\.4\.2\)/,
      ));
    it("refuses the old live color moving in the up that flips", async () =>
      fails(
        policies.blueGreenIntegrity,
        editRecord(compliantWindow, (r) => {
          r.console = { blue: "1.4.2", green: "1.4.2", live: "blue" };
        }),
        /console-green served traffic before this deployment and must keep 1\.3\.4 while live flips to blue/,
      ));
    it("a flip, a coordinated window and a rollback pass (test/state/gates.test.ts); the rendered window passes", async () =>
      passes(policies.blueGreenIntegrity, compliantWindow));
  });

  describe("pre-upgrade-backup", () => {
    const backups = ["pre-upgrade-platform-db-1-5-0-to-1-5-1", "pre-upgrade-keycloak-db-1-5-0-to-1-5-1"];
    const check = "await-platform-db-1-5-0-to-1-5-1";
    it("refuses an open window without a Backup of the platform database", async () =>
      fails(
        policies.preUpgradeBackup,
        without(windowBase, backups[0]),
        /an on-demand Backup of platform-db must exist/,
      ));
    it("refuses an OpenBao snapshot kept only on the machine that took it", async () =>
      fails(
        policies.preUpgradeBackup,
        edit(windowBase, "openbao-snapshot-1-5-0-to-1-5-1", (p) => {
          delete p.environment.DESTINATION_PATH;
          delete p.environment.ENCRYPTION;
        }),
        /OpenBao snapshot openbao-snapshot-1-5-0-to-1-5-1 must be uploaded to the object store beside the database backups, encrypted \(its environment lacks DESTINATION_PATH, ENCRYPTION\)/,
      ));
    it("refuses a Backup nothing awaits to completion", async () =>
      fails(
        policies.preUpgradeBackup,
        without(windowBase, check),
        /Backup pre-upgrade-platform-db-1-5-0-to-1-5-1 must be awaited to completion by a Command that runs scripts\/await-backup\.sh/,
      ));
    it("refuses a check for another Backup, or one that does not depend on its Backup", async () => {
      await fails(
        policies.preUpgradeBackup,
        edit(windowBase, check, (p) => {
          p.environment.BACKUP = "some-other-backup";
        }),
        /must be awaited to completion/,
      );
      const cut = structuredClone(windowBase).map((r) =>
        r.name === check ? { ...r, dependencyUrns: r.dependencyUrns.filter((u) => !u.endsWith(`::${backups[0]}`)) } : r,
      );
      await fails(policies.preUpgradeBackup, cut, /must be awaited to completion/);
    });
    it("refuses an API or a chart release that does not depend on the backup check", async () => {
      const cut = structuredClone(windowBase).map((r) => ({
        ...r,
        dependencyUrns: r.dependencyUrns.filter((u) => !u.endsWith(`::${check}`)),
      }));
      await fails(policies.preUpgradeBackup, cut, /API Deployment api must depend on the pre-upgrade backup checks/);
      await fails(policies.preUpgradeBackup, cut, /chart release openbao must depend on the pre-upgrade backup checks/);
    });
    it("takes a wait through the graph: an API that names only the database, which names the check", async () => {
      const urnOf = (name: string) => windowBase.find((r) => r.name === name)?.urn ?? assert.fail(`no ${name}`);
      const stripped = structuredClone(windowBase).map((r) => ({
        ...r,
        dependencyUrns: r.dependencyUrns.filter((u) => !u.endsWith(`::${check}`)),
      }));
      const throughDatabase = stripped.map((r) =>
        r.name === "platform-db-cluster"
          ? { ...r, dependencyUrns: [...r.dependencyUrns, urnOf(check)] }
          : r.name === "api"
            ? { ...r, dependencyUrns: [...r.dependencyUrns, urnOf("platform-db-cluster")] }
            : r,
      );
      const found = await messages(policies.preUpgradeBackup, throughDatabase);
      assert.ok(!found.some((m) => /API Deployment api/.test(m)), found.join("\n"));
      assert.ok(
        found.some((m) => /chart release openbao must depend/.test(m)),
        "a release with no path to the check is still refused",
      );
    });

    it("refuses a window without Keycloak's Backup, or without the OpenBao snapshot", async () => {
      await fails(
        policies.preUpgradeBackup,
        without(windowBase, backups[1]),
        /an on-demand Backup of keycloak-db must exist while the window 1\.5\.0 -> 1\.5\.1 is open/,
      );
      await fails(
        policies.preUpgradeBackup,
        without(windowBase, "openbao-snapshot-1-5-0-to-1-5-1"),
        /an OpenBao raft snapshot \(a Command that runs scripts\/openbao-snapshot\.sh\) must be taken while the window 1\.5\.0 -> 1\.5\.1 is open/,
      );
    });
    it("refuses a chart release that does not wait for Keycloak's check or the snapshot", async () => {
      for (const gate of ["await-keycloak-db-1-5-0-to-1-5-1", "openbao-snapshot-1-5-0-to-1-5-1"]) {
        const cut = structuredClone(windowBase).map((r) => ({
          ...r,
          dependencyUrns: r.dependencyUrns.filter((u) => !u.endsWith(`::${gate}`)),
        }));
        await fails(
          policies.preUpgradeBackup,
          cut,
          new RegExp(
            `chart release keycloak must depend on the pre-upgrade backup checks and the OpenBao snapshot, and does not on ${gate}`,
          ),
        );
      }
    });
    it("names every gate a chart release misses, one after another", async () => {
      const gates = ["await-keycloak-db-1-5-0-to-1-5-1", "openbao-snapshot-1-5-0-to-1-5-1"];
      const cut = structuredClone(windowBase).map((r) => ({
        ...r,
        dependencyUrns: r.dependencyUrns.filter((u) => !gates.some((g) => u.endsWith(`::${g}`))),
      }));
      assert.ok(
        (await messages(policies.preUpgradeBackup, cut)).includes(
          `chart release keycloak must depend on the pre-upgrade backup checks and the OpenBao snapshot, and does not on ${gates.join(", ")}, so no chart or operator changes before the backups complete`,
        ),
      );
    });
  });

  describe("disruption-budget", () => {
    it("refuses a replicated Deployment without a PDB", async () =>
      fails(
        policies.disruptionBudget,
        without(windowBase, "api-pdb"),
        /Deployment api has 3 replicas and must have a PodDisruptionBudget/,
      ));
    it("refuses a PDB in another namespace, even one selecting the same labels", async () =>
      fails(
        policies.disruptionBudget,
        edit(windowBase, "api-pdb", (p) => {
          p.metadata.namespace = "elsewhere";
        }),
        /Deployment api has 3 replicas and must have a PodDisruptionBudget selecting its pods/,
      ));
    it("refuses a PDB that allows no disruption", async () =>
      fails(
        policies.disruptionBudget,
        edit(windowBase, "api-pdb", (p) => {
          p.spec.maxUnavailable = 0;
        }),
        /must allow at least one disruption/,
      ));
    it("refuses a PDB that keeps no pod", async () =>
      fails(
        policies.disruptionBudget,
        edit(windowBase, "api-pdb", (p) => {
          p.spec.maxUnavailable = "100%";
        }),
        /must keep at least one api pod available/,
      ));
    it("refuses replicas with neither anti-affinity nor a topology spread", async () =>
      fails(
        policies.disruptionBudget,
        edit(windowBase, "gateway", (p) => {
          delete p.spec.template.spec.affinity;
          delete p.spec.template.spec.topologySpreadConstraints;
        }),
        /must spread them/,
      ));
    it("accepts a minAvailable budget that leaves room", async () =>
      passes(
        policies.disruptionBudget,
        edit(windowBase, "api-pdb", (p) => {
          delete p.spec.maxUnavailable;
          p.spec.minAvailable = 2;
        }),
      ));
    it("rounds percentages up, as the disruption controller does", () => {
      assert.equal(scaled("34%", 3), 2);
      assert.equal(scaled(1, 3), 1);
      assert.ok(Number.isNaN(scaled("lots", 3)));
    });
  });

  describe("rolling-safety", () => {
    it("refuses Recreate", async () =>
      fails(
        policies.rollingSafety,
        edit(windowBase, "gateway", (p) => {
          p.spec.strategy = { type: "Recreate" };
        }),
        /must use strategy RollingUpdate/,
      ));
    it("refuses maxUnavailable above 0, even with one replica", async () =>
      fails(
        policies.rollingSafety,
        edit(windowBase, "api", (p) => {
          p.spec.strategy.rollingUpdate.maxUnavailable = 1;
        }),
        /api rollingUpdate\.maxUnavailable must be 0, so a new pod is Ready before an old one goes, not 1/,
      ));
    it("refuses maxSurge 0", async () =>
      fails(
        policies.rollingSafety,
        edit(windowBase, "console-blue", (p) => {
          p.spec.strategy.rollingUpdate.maxSurge = 0;
        }),
        /console rollingUpdate\.maxSurge must be at least 1, not 0/,
      ));
    it("refuses Recreate for a serving component, and for workers whose release does not ask for it", async () => {
      await fails(
        policies.rollingSafety,
        edit(windowBase, "gateway", (p) => {
          p.spec.strategy = { type: "Recreate" };
        }),
        /gateway must use strategy RollingUpdate; Recreate is only for workers whose release says rollout: recreate/,
      );
      await fails(
        policies.rollingSafety,
        edit(windowBase, "worker-export", (p) => {
          p.spec.strategy = { type: "Recreate" };
        }),
        /workers must use strategy RollingUpdate/,
      );
    });
    it("accepts Recreate for workers whose release says rollout: recreate (2.0.0)", async () => {
      const major = await runStack(
        "staging",
        "deployed=1.5.1",
        "release=2.0.0",
        "upgrade.mode=coordinated",
        "console.blue=2.0.0",
        "console.green=2.0.0",
      );
      assert.equal((major.find((r) => r.name === "worker-export")?.props as Loose).spec.strategy.type, "Recreate");
      await passes(policies.rollingSafety, major);
    });
    it("refuses an OpenBao release that would never replace its pods (the chart's OnDelete)", async () => {
      await fails(
        policies.rollingSafety,
        edit(windowBase, "openbao", (p) => {
          delete p.values.server.updateStrategyType;
        }),
        /OpenBao's server\.updateStrategyType must be RollingUpdate, not "unset \(the chart's OnDelete\)"/,
      );
    });
    it("refuses a missing readiness probe", async () =>
      fails(
        policies.rollingSafety,
        edit(
          windowBase,
          "api",
          container((c) => {
            delete c.readinessProbe;
          }),
        ),
        /must have a readiness probe/,
      ));
    it("refuses a missing preStop hook", async () =>
      fails(
        policies.rollingSafety,
        edit(
          windowBase,
          "gateway-canary",
          container((c) => {
            delete c.lifecycle;
          }),
        ),
        /must have a preStop hook/,
      ));
    it("refuses a grace period not longer than the preStop delay", async () =>
      fails(
        policies.rollingSafety,
        edit(windowBase, "api", (p) => {
          p.spec.template.spec.terminationGracePeriodSeconds = 10;
        }),
        /terminationGracePeriodSeconds \(10\) must be greater than the preStop delay \(10s\)/,
      ));
    it("reads the delay from exec sleep or the sleep action", () => {
      assert.equal(
        preStopSeconds({ name: "x", lifecycle: { preStop: { exec: { command: ["sh", "-c", "sleep 15"] } } } }),
        15,
      );
      assert.equal(preStopSeconds({ name: "x", lifecycle: { preStop: { sleep: { seconds: 7 } } } }), 7);
      assert.equal(preStopSeconds({ name: "x" }), undefined);
    });
  });

  describe("canary-analysis", () => {
    /** The compliant window with a canary, one analysis setting changed. */
    const canaryWindow = (...sets: string[]) =>
      record("staging", "ha=true", ...ROLLING_WINDOW, "upgrade.gatewayCanaryPercent=10", ...sets);
    it("reads the analysis from the release record while a canary runs, and only then", () => {
      const record = (base: RecordedResource[]) => readableRecord(toPolicyResources(base))?.record;
      assert.deepEqual(record(compliantWindow)?.canaryAnalysis?.metrics.requests.min, 20);
      assert.equal(record(prodBase)?.canaryAnalysis, null);
    });
    it("refuses an error-rate bound looser than the stack's policy config allows, naming the key", async () => {
      const loose = await canaryWindow("canary.metrics.errorRate.max=0.5");
      await fails(
        policies.canaryAnalysis,
        loose,
        /^lockstep:canary\.metrics\.errorRate\.max \(0\.5\) must be set and at most 0\.05$/,
      );
      await passes(policies.canaryAnalysis, loose, { maxErrorRate: 0.5 });
    });
    it("refuses a failure limit no step can reach", async () => {
      const never = await canaryWindow("canary.metrics.requests.failureLimit=3");
      await fails(policies.canaryAnalysis, never, /requests\.failureLimit \(3\) must be below samples \(3\)/);
    });
  });

  describe("backup-snapshot-class", () => {
    const SNAPSHOTS = ["backup.method=volumeSnapshot", "backup.volumeSnapshot.className=csi-snapclass"];
    let snapshotWindow: RecordedResource[];
    before(async () => {
      snapshotWindow = await record("staging", ...ROLLING_WINDOW, ...SNAPSHOTS);
    });
    const backupOf = (base: RecordedResource[], cluster: string) =>
      base.find(
        (r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Backup" && r.name.startsWith(`pre-upgrade-${cluster}-`),
      );
    const awaitOf = (base: RecordedResource[], cluster: string) =>
      base.find((r) => r.type === "command:local:Command" && r.name.startsWith(`await-${cluster}-`));

    it("the program takes the window's backups as snapshots of Clusters that name the class, awaited until ready", async () => {
      assert.equal((backupOf(snapshotWindow, "platform-db")?.props as Loose).spec.method, "volumeSnapshot");
      const cluster = snapshotWindow.find((r) => r.name === "platform-db-cluster")?.props as Loose;
      assert.deepEqual(cluster.spec.backup.volumeSnapshot, {
        className: "csi-snapclass",
        online: true,
        onlineConfiguration: { waitForArchive: true, immediateCheckpoint: true },
      });
      assert.equal((awaitOf(snapshotWindow, "keycloak-db")?.props as Loose).environment.METHOD, "volumeSnapshot");
      await passes(policies.backupSnapshotClass, snapshotWindow);
      for (const p of policies.ALL_POLICIES) await passes(p, snapshotWindow);
    });
    it("object-store backups carry no snapshot settings, and the policy has nothing to say", async () => {
      assert.equal((backupOf(compliantWindow, "platform-db")?.props as Loose).spec.method, "plugin");
      assert.equal(
        (compliantWindow.find((r) => r.name === "platform-db-cluster")?.props as Loose).spec.backup,
        undefined,
      );
      assert.equal((awaitOf(compliantWindow, "platform-db")?.props as Loose).environment.METHOD, undefined);
    });
    it("refuses snapshots of a Cluster that names no VolumeSnapshotClass, naming the config key", async () =>
      fails(
        policies.backupSnapshotClass,
        edit(snapshotWindow, "platform-db-cluster", (p) => {
          delete p.spec.backup.volumeSnapshot.className;
        }),
        /pre-upgrade-platform-db-\S+ takes volume snapshots, so Cluster platform-db must name a VolumeSnapshotClass \(spec\.backup\.volumeSnapshot\.className; set lockstep:backup\.volumeSnapshot\.className/,
      ));
    it("the stack as configured without a class is refused by the same policy", async () => {
      const noClass = await record("staging", ...ROLLING_WINDOW, "backup.method=volumeSnapshot");
      await fails(policies.backupSnapshotClass, noClass, /must name a VolumeSnapshotClass/);
    });
    it("refuses an await check that stops at the Backup's completion, not the snapshots' readiness", async () => {
      const name = awaitOf(snapshotWindow, "platform-db")?.name as string;
      await fails(
        policies.backupSnapshotClass,
        edit(snapshotWindow, name, (p) => {
          delete p.environment.METHOD;
        }),
        /await-platform-db-\S+ must await pre-upgrade-platform-db-\S+ with METHOD=volumeSnapshot/,
      );
    });
    it("judges a ScheduledBackup taken as snapshots like a Backup (the daily ones are the plugin's)", async () => {
      const scheduled = snapshotWindow.find((r) => r.name === "platform-db-scheduled-backup");
      assert.equal((scheduled?.props as Loose).spec.method, "plugin");
      const asSnapshots = edit(snapshotWindow, "platform-db-scheduled-backup", (p) => {
        p.spec.method = "volumeSnapshot";
      });
      await passes(policies.backupSnapshotClass, asSnapshots);
      await fails(
        policies.backupSnapshotClass,
        edit(asSnapshots, "platform-db-cluster", (p) => {
          delete p.spec.backup.volumeSnapshot.className;
        }),
        /platform-db-scheduled-backup takes volume snapshots, so Cluster platform-db must name a VolumeSnapshotClass/,
      );
    });
    it("refuses snapshots of a Cluster the stack does not declare", async () =>
      fails(
        policies.backupSnapshotClass,
        edit(snapshotWindow, backupOf(snapshotWindow, "keycloak-db")?.name as string, (p) => {
          p.spec.cluster.name = "elsewhere-db";
        }),
        /takes volume snapshots of Cluster "elsewhere-db", which must be declared in the stack/,
      ));
  });

  describe("database-backup", () => {
    it("refuses a Cluster without WAL archiving", async () =>
      fails(
        policies.databaseBackup,
        edit(windowBase, "platform-db-cluster", (p) => {
          p.spec.plugins[0].isWALArchiver = false;
        }),
        /Cluster platform-db must archive WAL/,
      ));
    it("refuses an ObjectStore without a destination", async () =>
      fails(
        policies.databaseBackup,
        edit(windowBase, "platform-db-objectstore", (p) => {
          delete p.spec.configuration.destinationPath;
        }),
        /ObjectStore platform-db-store for Cluster platform-db must set configuration\.destinationPath/,
      ));
    it("refuses an ObjectStore without retention", async () =>
      fails(
        policies.databaseBackup,
        edit(windowBase, "keycloak-db-objectstore", (p) => {
          delete p.spec.retentionPolicy;
        }),
        /must set a retentionPolicy/,
      ));
    it("refuses an ObjectStore that does not ask for server-side encryption, naming what lacks it", async () =>
      fails(
        policies.databaseBackup,
        edit(windowBase, "platform-db-objectstore", (p) => {
          delete p.spec.configuration.wal.encryption;
          p.spec.configuration.data.encryption = "none";
        }),
        /ObjectStore platform-db-store for Cluster platform-db must ask for server-side encryption of configuration\.data\.encryption and configuration\.wal\.encryption \(AES256 or aws:kms; lockstep:backup\.encryption\)/,
      ));
    it("refuses a Cluster without a ScheduledBackup", async () =>
      fails(
        policies.databaseBackup,
        without(windowBase, "platform-db-scheduled-backup"),
        /Cluster platform-db must have a ScheduledBackup/,
      ));
    it("refuses a plugin pointing at an ObjectStore that is not declared", async () =>
      fails(
        policies.databaseBackup,
        without(windowBase, "platform-db-objectstore"),
        /must point its backup plugin at an ObjectStore declared in the stack/,
      ));
  });

  describe("blue-green-integrity", () => {
    it("refuses a live Service selecting both colors", async () =>
      fails(
        policies.blueGreenIntegrity,
        edit(windowBase, "console-svc", (p) => {
          delete p.spec.selector["lockstep.dev/color"];
        }),
        /must select exactly one color/,
      ));
    it("refuses a live color with no Deployment", async () =>
      fails(policies.blueGreenIntegrity, without(windowBase, "console-blue"), /a console-blue Deployment must exist/));
    it("refuses an idle color outside the window", async () =>
      fails(
        policies.blueGreenIntegrity,
        edit(windowBase, "console-green", (p) => {
          p.spec.template.metadata.labels["app.kubernetes.io/version"] = "1.3.4";
        }),
        /idle console color green is the rollback target/,
      ));
    it("refuses a live Service that disagrees with the configured live color", async () =>
      fails(
        policies.blueGreenIntegrity,
        editRecord(windowBase, (r) => {
          r.console.live = "green";
        }),
        /must select the configured live color green/,
      ));
  });

  describe("canary-bounds", () => {
    it("refuses a canary in a coordinated window (the set moves together there)", async () =>
      fails(
        policies.canaryBounds,
        editRecord(windowBase, (r) => {
          r.upgradeMode = "coordinated";
        }),
        /must not run in a coordinated window/,
      ));
    it("refuses a canary outside an upgrade window", async () =>
      fails(
        policies.canaryBounds,
        editRecord(windowBase, (r) => {
          r.upgradeFrom = null;
        }),
        /must only exist inside an upgrade window/,
      ));
    it("refuses weights that do not sum to 100", async () =>
      fails(
        policies.canaryBounds,
        edit(windowBase, "gateway-route", (p) => {
          p.spec.rules[0].backendRefs[1].weight = 20;
        }),
        /weights must sum to 100, not 110/,
      ));
    it("refuses a canary above the maximum, which is configurable per stack", async () => {
      const sixty = edit(windowBase, "gateway-route", (p) => {
        p.spec.rules[0].backendRefs[0].weight = 40;
        p.spec.rules[0].backendRefs[1].weight = 60;
      });
      await fails(policies.canaryBounds, sixty, /at most 50% of traffic, not 60%/);
      await passes(policies.canaryBounds, sixty, { maxCanaryPercent: 70 });
    });
  });

  describe("kubernetes-baseline", () => {
    it("refuses a cluster below the release's range", async () =>
      fails(
        policies.kubernetesBaseline,
        editRecord(windowBase, (r) => {
          r.kubernetesVersion = "1.29";
        }),
        /Kubernetes 1\.29 must be inside release 1\.5\.1's supported range 1\.30 - 1\.33/,
      ));
    it("refuses a stack that does not declare its cluster version", async () =>
      fails(
        policies.kubernetesBaseline,
        editRecord(windowBase, (r) => {
          r.kubernetesVersion = null;
        }),
        /must declare lockstep:kubernetesVersion/,
      ));
    it("refuses an unreadable release record", async () =>
      fails(
        policies.kubernetesBaseline,
        edit(windowBase, "lockstep-release", (p) => {
          p.data["release.json"] = "{";
        }),
        /must be JSON/,
      ));
  });

  describe("pod-security", () => {
    const cases: [string, (p: Loose) => void, RegExp][] = [
      [
        "root",
        (p) => {
          p.spec.template.spec.securityContext.runAsNonRoot = false;
          p.spec.template.spec.containers[0].securityContext.runAsNonRoot = false;
        },
        /must run as non-root/,
      ],
      [
        "privilege escalation",
        container((c) => {
          c.securityContext.allowPrivilegeEscalation = true;
        }),
        /allowPrivilegeEscalation: false/,
      ],
      [
        "capabilities kept",
        container((c) => {
          c.securityContext.capabilities.drop = [];
        }),
        /must drop ALL capabilities/,
      ],
      [
        "no seccomp",
        (p) => {
          delete p.spec.template.spec.securityContext.seccompProfile;
          delete p.spec.template.spec.containers[0].securityContext.seccompProfile;
        },
        /seccomp profile RuntimeDefault/,
      ],
      [
        "writable root",
        container((c) => {
          c.securityContext.readOnlyRootFilesystem = false;
        }),
        /read-only root filesystem/,
      ],
      [
        "no limits",
        container((c) => {
          delete c.resources.limits;
        }),
        /requests and limits/,
      ],
      [
        "service-account token",
        (p) => {
          p.spec.template.spec.automountServiceAccountToken = true;
        },
        /automountServiceAccountToken: false/,
      ],
      [
        // Unset is what Kubernetes treats as "mount the token".
        "service-account token left unset",
        (p) => {
          delete p.spec.template.spec.automountServiceAccountToken;
        },
        /pod must set automountServiceAccountToken: false/,
      ],
      [
        "host network",
        (p) => {
          p.spec.template.spec.hostNetwork = true;
        },
        /host network/,
      ],
      [
        "the host's PID namespace",
        (p) => {
          p.spec.template.spec.hostPID = true;
        },
        /must not use the host network, PID or IPC namespaces/,
      ],
      [
        "a hostPath volume",
        (p) => {
          p.spec.template.spec.volumes = [
            ...(p.spec.template.spec.volumes ?? []),
            { name: "docker-sock", hostPath: { path: "/var/run/docker.sock" } },
          ];
        },
        /volume docker-sock must not be a hostPath/,
      ],
      [
        "a privileged container",
        container((c) => {
          c.securityContext.privileged = true;
        }),
        /must not be privileged/,
      ],
      [
        "a privileged init container",
        (p) => {
          p.spec.template.spec.initContainers = [
            {
              ...structuredClone(p.spec.template.spec.containers[0]),
              name: "migrate",
              securityContext: { ...p.spec.template.spec.containers[0].securityContext, privileged: true },
            },
          ];
        },
        /init container migrate|migrate.* must not be privileged/,
      ],
      [
        "plaintext secret by name",
        container((c) => {
          c.env.push({ name: "DB_PASSWORD", value: "hunter2" });
        }),
        /DB_PASSWORD looks like a plaintext secret/,
      ],
      [
        "plaintext secret by value",
        container((c) => {
          c.env.push({ name: "UPSTREAM", value: "postgres://app:s3cret@db:5432/app" });
        }),
        /UPSTREAM looks like a plaintext secret/,
      ],
    ];
    for (const [what, change, message] of cases) {
      it(`refuses ${what}`, async () => fails(policies.podSecurity, edit(windowBase, "api", change), message));
    }
  });

  describe("prod-promoted-only", () => {
    it("refuses prod without a promotion record", async () =>
      fails(
        policies.prodPromotedOnly,
        editRecord(prodBase, (r) => {
          r.promotion = null;
        }),
        /prod must run a promoted set/,
      ));
    it("refuses a set digest that differs from the one verified in staging", async () =>
      fails(
        policies.prodPromotedOnly,
        editRecord(prodBase, (r) => {
          if (r.promotion) r.promotion.setDigest = `sha256:${"0".repeat(64)}`;
        }),
        /must equal the catalog's digest for 1\.5\.1/,
      ));
    it("refuses a promotion record for another version", async () =>
      fails(
        policies.prodPromotedOnly,
        editRecord(prodBase, (r) => {
          r.release = "1.5.0";
        }),
        /must be the promoted version/,
      ));
    it("does not apply to a staging stack", async () =>
      passes(
        policies.prodPromotedOnly,
        editRecord(prodBase, (r) => {
          r.stack = "staging";
          r.environment = "staging";
          r.promotion = null;
        }),
      ));
    it("keys on the stack: prod with environment flipped to staging is still gated", async () =>
      fails(
        policies.prodPromotedOnly,
        editRecord(prodBase, (r) => {
          r.environment = "staging";
          r.promotion = null;
        }),
        /prod must run a promoted set.*production by name, whatever its lockstep:environment says/,
      ));
    it("takes the production stacks from the stack's policy config", async () => {
      const eu = editRecord(prodBase, (r) => {
        r.stack = "prod-eu";
        r.environment = "staging";
        r.promotion = null;
      });
      await passes(policies.prodPromotedOnly, eu);
      await fails(policies.prodPromotedOnly, eu, /prod-eu must run a promoted set/, {
        productionStacks: ["prod", "prod-eu"],
      });
    });
  });

  describe("network-isolation", () => {
    it("refuses a platform namespace without a default deny", async () =>
      fails(
        policies.networkIsolation,
        without(windowBase, "netpol-default-deny"),
        /must have a default-deny NetworkPolicy/,
      ));
    it("refuses a deny that allows something, or covers only ingress", async () => {
      await fails(
        policies.networkIsolation,
        edit(windowBase, "netpol-default-deny", (p) => {
          p.spec.ingress = [{ from: [{ podSelector: {} }] }];
        }),
        /must have a default-deny NetworkPolicy/,
      );
      await fails(
        policies.networkIsolation,
        edit(windowBase, "netpol-default-deny", (p) => {
          p.spec.policyTypes = ["Ingress"];
        }),
        /must have a default-deny NetworkPolicy/,
      );
    });
    it("counts only a NetworkPolicy in the platform namespace that selects every pod and allows nothing as the deny", async () => {
      const asConfigMap = structuredClone(windowBase).map((r) =>
        r.name === "netpol-default-deny" ? { ...r, type: "kubernetes:core/v1:ConfigMap" } : r,
      );
      await fails(policies.networkIsolation, asConfigMap, /must have a default-deny NetworkPolicy/);
      await fails(
        policies.networkIsolation,
        edit(windowBase, "netpol-default-deny", (p) => {
          p.metadata.namespace = "elsewhere";
        }),
        /must have a default-deny NetworkPolicy/,
      );
      await fails(
        policies.networkIsolation,
        edit(windowBase, "netpol-default-deny", (p) => {
          p.spec.podSelector = { matchLabels: { "app.kubernetes.io/component": "api" } };
        }),
        /must have a default-deny NetworkPolicy/,
      );
      await fails(
        policies.networkIsolation,
        edit(windowBase, "netpol-default-deny", (p) => {
          p.spec.egress = [{ to: [{ podSelector: {} }] }];
        }),
        /must have a default-deny NetworkPolicy/,
      );
      await fails(
        policies.networkIsolation,
        edit(windowBase, "netpol-default-deny", (p) => {
          p.spec.policyTypes = ["Egress"];
        }),
        /must have a default-deny NetworkPolicy/,
      );
    });
    it("asks an allow-list only of lockstep workloads in the platform namespace", async () => {
      /** A copy of the api Deployment that no allow-list selects, changed by `change`. */
      const extra = (change: (p: Loose) => void) =>
        withCopy(windowBase, "api", "extra", (r) => {
          const props = r.props as Loose;
          props.metadata.labels = { "app.kubernetes.io/component": "extra" };
          props.spec.selector = { matchLabels: { "app.kubernetes.io/component": "extra" } };
          props.spec.template.metadata.labels = { "app.kubernetes.io/component": "extra" };
          change(props);
        });
      await fails(
        policies.networkIsolation,
        extra(() => {}),
        /Deployment extra must be selected by a NetworkPolicy allow-list of its own/,
      );
      await passes(
        policies.networkIsolation,
        extra((p) => {
          p.metadata.namespace = "elsewhere";
        }),
      );
      await passes(
        policies.networkIsolation,
        extra((p) => {
          p.metadata.labels = {};
          p.spec.template.metadata.labels = { app: "not-lockstep" };
        }),
      );
    });
    it("refuses a workload no allow-list of its own selects (allow-dns selects every pod but is not one)", async () => {
      await fails(
        policies.networkIsolation,
        without(windowBase, "netpol-gateway"),
        /Deployment gateway must be selected by a NetworkPolicy allow-list of its own/,
      );
      await fails(
        policies.networkIsolation,
        without(windowBase, "netpol-workers"),
        /Deployment worker-export must be selected/,
      );
    });
  });

  describe("pod-security on the values passed to the charts", () => {
    it("refuses a chart release whose values weaken a container's security context", async () => {
      await fails(
        policies.podSecurity,
        edit(windowBase, "keycloak", (p) => {
          p.values.securityContext.readOnlyRootFilesystem = false;
        }),
        /chart release keycloak: values\.securityContext must set readOnlyRootFilesystem: true/,
      );
      await fails(
        policies.podSecurity,
        edit(windowBase, "openbao", (p) => {
          p.values.server.statefulSet.securityContext.container.capabilities = { add: ["IPC_LOCK"] };
        }),
        /chart release openbao: values\.server\.statefulSet\.securityContext\.container must drop ALL capabilities/,
      );
    });
    it("refuses a chart release whose pods may run as root", async () =>
      fails(
        policies.podSecurity,
        edit(windowBase, "cnpg-operator", (p) => {
          delete p.values.podSecurityContext;
        }),
        /chart release cnpg: values\.podSecurityContext must set runAsNonRoot: true/,
      ));
  });
});
