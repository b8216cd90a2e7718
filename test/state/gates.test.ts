/**
 * The update gates as plain functions over the release record: what the policy pack reports at preview
 * and the program refuses at `up`. A record that passes, changed one field at a time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import {
  DEFAULT_PRODUCTION_STACKS,
  gateRefusals,
  liveColorRefusal,
  promotionRefusal,
  promotionSourceStack,
  refusalText,
  upgradePathRefusal,
} from "../../lib/state/gates";
import type { ReleaseRecordData } from "../../lib/state/record";
import { parseDeployedArgument } from "../../lib/state/deployed";
import { sourceVerification } from "../../lib/state/promotion";
import { setDigest, getRelease } from "../../lib/release/catalog";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);

/** Staging, 1.3.4 -> 1.4.2 (expand-only), the new console on idle blue, green live. */
function record(change: (r: ReleaseRecordData) => void = () => {}): ReleaseRecordData {
  const r: ReleaseRecordData = {
    stack: "staging",
    release: "1.4.2",
    setDigest: "sha256:0",
    environment: "staging",
    namespace: "aigw-staging",
    upgradeFrom: "1.3.4",
    upgradeMode: "rolling",
    gatewayCanaryPercent: null,
    console: { blue: "1.4.2", green: "1.3.4", live: "green" },
    consoleBefore: { blue: "1.3.4", green: "1.3.4", live: "green" },
    kubernetesVersion: "1.31",
    databaseCluster: "platform-db",
    promotion: null,
    promotionSource: null,
    deployed: { release: "1.3.4", workloads: { api: "1.3.4", gateway: "1.3.4" } },
    windowBackupCluster: "platform-db",
    windowBackupClusters: { platform: "platform-db", identity: "keycloak-db" },
    databases: {
      platform: { cluster: "platform-db", serverName: "platform-db", recoveredFrom: null, recovering: false },
      identity: { cluster: "keycloak-db", serverName: "keycloak-db", recoveredFrom: null, recovering: false },
    },
    rollback: null,
    restoreDrill: null,
  };
  change(r);
  return r;
}

describe("update gates", () => {
  it("pass a lawful rolling window", () => {
    assert.deepEqual(gateRefusals(record(), catalog, DEFAULT_PRODUCTION_STACKS), []);
  });

  describe("contract migrations", () => {
    const to150 = (r: ReleaseRecordData) => {
      r.release = "1.5.0";
      r.upgradeFrom = "1.4.2";
      if (r.deployed) r.deployed.workloads.api = "1.4.2";
    };
    it("refuse a rolling window into a release whose migrations are contract", () => {
      assert.match(upgradePathRefusal(record(to150), catalog) ?? "", /the migrations of 1\.5\.0 are contract/);
    });
    it("count every release the API passes: a patch skipped on the way runs its migrations too", () => {
      // 1.4.2 -> 1.5.1 passes 1.5.0 and 1.5.1; both contract.
      const skip = record((r) => {
        r.release = "1.5.1";
        r.upgradeFrom = "1.4.2";
        if (r.deployed) r.deployed.workloads.api = "1.4.2";
      });
      assert.match(upgradePathRefusal(skip, catalog) ?? "", /the migrations of 1\.5\.0, 1\.5\.1 are contract/);
    });
    it("accept the same window coordinated", () => {
      assert.equal(
        upgradePathRefusal(
          record((r) => {
            to150(r);
            r.upgradeMode = "coordinated";
          }),
          catalog,
        ),
        undefined,
      );
    });
  });

  describe("the live color", () => {
    it("refuses it rolling in place, and names the idle color to use", () => {
      assert.match(
        liveColorRefusal(record((r) => (r.console.green = "1.4.2"))) ?? "",
        /console-green is the live color and must not roll in place from 1\.3\.4 to 1\.4\.2: put 1\.4\.2 on the idle color \(lockstep:console\.blue: 1\.4\.2\)/,
      );
    });
    it("refuses the old live color moving in the up that flips", () => {
      const both = record((r) => (r.console = { blue: "1.4.2", green: "1.4.2", live: "blue" }));
      assert.match(
        liveColorRefusal(both) ?? "",
        /console-green served traffic .* must keep 1\.3\.4 while live flips to blue/,
      );
    });
    it("accepts the flip on its own: the idle color moves and goes live, the old one keeps its version", () => {
      assert.equal(liveColorRefusal(record((r) => (r.console.live = "blue"))), undefined);
    });
    it("accepts a coordinated window and a rollback, which move the console with the API", () => {
      const both = (r: ReleaseRecordData) => (r.console = { blue: "1.4.2", green: "1.4.2", live: "blue" });
      const coordinated = record((r) => {
        both(r);
        r.upgradeMode = "coordinated";
      });
      const rollback = record((r) => {
        both(r);
        r.rollback = { from: "1.4.2", to: "1.3.4", mode: "restore", reason: "contract" };
      });
      assert.equal(liveColorRefusal(coordinated), undefined);
      assert.equal(liveColorRefusal(rollback), undefined);
    });
    it("has nothing to say on a first install", () => {
      assert.equal(liveColorRefusal(record((r) => (r.consoleBefore = null))), undefined);
    });
  });

  it("list every refusal, by gate, in one message", () => {
    const broken = record((r) => {
      r.console.green = "1.4.2";
      r.stack = "prod";
    });
    const refusals = gateRefusals(broken, catalog, DEFAULT_PRODUCTION_STACKS);
    assert.deepEqual(
      refusals.map((x) => x.gate),
      ["blue-green-integrity", "prod-promoted-only"],
    );
    const text = refusalText(refusals);
    assert.match(text, /^this update is refused before it changes anything/);
    assert.match(text, /\n {2}prod-promoted-only: .*is production by name/);
  });

  describe("the promotion, backed by the verifying stack's outputs", () => {
    const digest = setDigest(getRelease(catalog, "1.4.2"));
    const promotion = {
      version: "1.4.2",
      setDigest: digest,
      verifiedIn: "staging",
      verifiedAt: "2026-11-20T14:05:00Z",
    };
    type Seen = NonNullable<NonNullable<ReleaseRecordData["promotionSource"]>["verification"]>;
    const seen: Seen = { version: "1.4.2", setDigest: digest, smoke: "passed", verifiedAt: "2026-11-20T14:05:00Z" };
    const prod = (change: (r: ReleaseRecordData) => void = () => {}) =>
      record((r) => {
        r.stack = "prod";
        r.environment = "prod";
        r.setDigest = digest;
        r.promotion = { ...promotion };
        r.promotionSource = {
          stack: "staging",
          origin: "stack o/lockstep/staging, read live",
          verification: { ...seen },
        };
        change(r);
      });
    const refusal = (change: (r: ReleaseRecordData) => void) =>
      promotionRefusal(prod(change), catalog, DEFAULT_PRODUCTION_STACKS);

    it("passes what staging's outputs show verified", () => {
      assert.equal(promotionRefusal(prod(), catalog, DEFAULT_PRODUCTION_STACKS), undefined);
    });
    it("refuses each field they do not back, naming it", () => {
      const v = (r: ReleaseRecordData) => r.promotionSource?.verification as Seen;
      assert.match(refusal((r) => (v(r).version = "1.3.4")) ?? "", /staging runs 1\.3\.4, not the promoted 1\.4\.2/);
      assert.match(
        refusal((r) => (v(r).setDigest = "sha256:1")) ?? "",
        /staging runs the set sha256:1, not the promoted/,
      );
      assert.match(refusal((r) => (v(r).smoke = "skipped")) ?? "", /staging's last smoke test was skipped/);
      assert.match(refusal((r) => (v(r).verifiedAt = null)) ?? "", /but staging's outputs say never/);
      assert.match(refusal((r) => (v(r).version = null)) ?? "", /show no deployment, so nothing verified 1\.4\.2/);
    });
    it("gives every reason at once", () => {
      const message = refusal((r) => {
        const v = r.promotionSource?.verification as Seen;
        v.smoke = "failed";
        v.verifiedAt = "2026-12-01T00:00:00Z";
      });
      assert.match(message ?? "", /: staging's last smoke test failed; the promotion record says/);
    });
    it("has nothing to add when the outputs were not read (the offline plan names that itself)", () => {
      assert.equal(
        refusal((r) => r.promotionSource && (r.promotionSource.verification = null)),
        undefined,
      );
    });
  });

  describe("the verification in a stack's outputs", () => {
    it("reads empty values as absent, and a missing smoke result as skipped", () => {
      assert.deepEqual(sourceVerification({ release: { version: "", setDigest: "" }, verification: {} }), {
        version: null,
        setDigest: null,
        smoke: "skipped",
        verifiedAt: null,
      });
      assert.deepEqual(
        sourceVerification({
          release: { version: "1.4.2", setDigest: "sha256:1" },
          verification: { status: "passed", verifiedAt: "t" },
        }),
        { version: "1.4.2", setDigest: "sha256:1", smoke: "passed", verifiedAt: "t" },
      );
    });
  });

  describe("which stack's outputs a deployment reads", () => {
    const config = {
      environment: "prod" as const,
      release: "1.4.2",
      promotion: { version: "1.4.2", setDigest: "sha256:0", verifiedIn: "staging", verifiedAt: "2026-11-20T14:05:00Z" },
      rollback: undefined,
    };
    const at = (version: string) => parseDeployedArgument(version, catalog);
    it("a production stack moving to a release, a first install included, reads the stack its promotion names", () => {
      assert.equal(promotionSourceStack("prod", config, at("1.3.4"), DEFAULT_PRODUCTION_STACKS), "staging");
      assert.equal(promotionSourceStack("prod", config, null, DEFAULT_PRODUCTION_STACKS), "staging");
      assert.equal(
        promotionSourceStack("eu-1", config, null, DEFAULT_PRODUCTION_STACKS),
        "staging",
        "environment prod",
      );
    });
    it("reads none when the release does not move, off production, with no promotion, or in a rollback", () => {
      assert.equal(promotionSourceStack("prod", config, at("1.4.2"), DEFAULT_PRODUCTION_STACKS), null);
      assert.equal(
        promotionSourceStack("qa", { ...config, environment: "staging" }, null, DEFAULT_PRODUCTION_STACKS),
        null,
      );
      assert.equal(
        promotionSourceStack("prod", { ...config, promotion: undefined }, null, DEFAULT_PRODUCTION_STACKS),
        null,
      );
      const rollback = { from: "1.4.2", mode: "restore" as const };
      assert.equal(promotionSourceStack("prod", { ...config, rollback }, at("1.5.0"), DEFAULT_PRODUCTION_STACKS), null);
    });
  });

  describe("a PostgreSQL major in the window", () => {
    const major = (change: (r: ReleaseRecordData) => void = () => {}) =>
      record((r) => {
        r.upgradeFrom = "1.5.1";
        r.release = "2.0.0";
        r.upgradeMode = "coordinated";
        r.deployed = { release: "1.5.1", workloads: { api: "1.5.1" } };
        change(r);
      });
    it("passes coordinated, with an operator that upgrades in place", () => {
      assert.equal(upgradePathRefusal(major(), catalog), undefined);
    });
    it("refuses an operator too old for pg_upgrade in place, after the path itself is lawful", () => {
      const old = structuredClone(getRelease(catalog, "2.0.0"));
      old.charts.cnpgOperator.appVersion = "1.24.0";
      const edited = { ...catalog, releases: new Map(catalog.releases).set("2.0.0", old) };
      assert.match(upgradePathRefusal(major(), edited) ?? "", /needs CloudNativePG 1\.26\.0 or later/);
    });
    it("refuses it rolling even inside one product major (a release that moves only PostgreSQL)", () => {
      const pg17 = structuredClone(getRelease(catalog, "1.5.1"));
      pg17.postgres = structuredClone(getRelease(catalog, "2.0.0").postgres);
      const edited = { ...catalog, releases: new Map(catalog.releases).set("1.5.1", pg17) };
      const rolling = major((r) => {
        r.upgradeFrom = "1.5.0";
        r.release = "1.5.1";
        r.upgradeMode = "rolling";
        r.deployed = { release: "1.5.0", workloads: { api: "1.5.0" } };
      });
      assert.match(
        upgradePathRefusal(rolling, edited) ?? "",
        /^1\.5\.0 -> 1\.5\.1 moves PostgreSQL 16 to 17: it must run as a coordinated window/,
      );
    });
    it("refuses a rollback across it that keeps the data, and accepts one that restores it", () => {
      const back = (mode: "restore" | "expand-only") =>
        major((r) => {
          r.upgradeFrom = "2.0.0";
          r.release = "1.5.1";
          r.rollback = { from: "2.0.0", to: "1.5.1", mode, reason: "" };
        });
      assert.match(upgradePathRefusal(back("expand-only"), catalog) ?? "", /PostgreSQL 16 cannot read data 17 wrote/);
      assert.equal(upgradePathRefusal(back("restore"), catalog), undefined);
    });
  });
});
