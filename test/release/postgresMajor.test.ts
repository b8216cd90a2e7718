/**
 * A PostgreSQL major move takes CloudNativePG's in-place path forward and a restore back, as plain
 * functions over the catalog's releases: the plan prints the path and the upgrade-path gate enforces it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog, Release } from "../../lib/release/catalog";
import { postgresMajorPath, postgresMajorRefusal } from "../../lib/release/postgresMajor";
import { offeredRollback, planRollback } from "../../lib/recovery/rollback";
import { LockstepInputError } from "../../lib/core/errors";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const [v151, v200] = [getRelease(catalog, "1.5.1"), getRelease(catalog, "2.0.0")];
const forward = { from: "1.5.1", to: "2.0.0", coordinated: true, rollbackMode: undefined };

describe("the PostgreSQL major path", () => {
  it("forward it is pg_upgrade in place, naming the operator, the backups first and the way back", () => {
    const path = postgresMajorPath(v151, v200);
    assert.deepEqual([path?.from, path?.to, path?.method], [16, 17, "in-place"]);
    assert.match(path?.description ?? "", /^PostgreSQL 16 -> 17: in place with pg_upgrade \(CloudNativePG 1\.30\.0's/);
    assert.match(path?.description ?? "", /after the verified pre-upgrade Backups.*lockstep rollback --mode restore/);
  });
  it("back it is a restore, and none when the major stays", () => {
    assert.equal(postgresMajorPath(v200, v151)?.method, "restore");
    assert.match(postgresMajorPath(v200, v151)?.description ?? "", /^PostgreSQL 17 -> 16: restored, not downgraded/);
    assert.equal(postgresMajorPath(getRelease(catalog, "1.5.0"), v151), null);
  });

  it("forward, refuses a rolling window: the cluster is offline while pg_upgrade runs", () => {
    assert.equal(postgresMajorRefusal(forward, v151, v200), undefined);
    assert.match(
      postgresMajorRefusal({ ...forward, coordinated: false }, v151, v200) ?? "",
      /^1\.5\.1 -> 2\.0\.0 moves PostgreSQL 16 to 17: it must run as a coordinated window/,
    );
  });
  it("forward, refuses an operator older than the in-place upgrade", () => {
    const old: Release = structuredClone(v200);
    old.charts.cnpgOperator.appVersion = "1.25.1";
    assert.match(
      postgresMajorRefusal(forward, v151, old) ?? "",
      /needs CloudNativePG 1\.26\.0 or later to upgrade in place, and release 2\.0\.0 pins 1\.25\.1$/,
    );
  });
  it("reads the operator's version with or without its v, and gives every problem at once", () => {
    const tagged: Release = structuredClone(v200);
    tagged.charts.cnpgOperator.appVersion = "v1.27.0";
    assert.equal(postgresMajorRefusal(forward, v151, tagged), undefined);
    tagged.charts.cnpgOperator.appVersion = "v1.25.0";
    assert.match(
      postgresMajorRefusal({ ...forward, coordinated: false }, v151, tagged) ?? "",
      /: it must run as a coordinated window .*, and it needs CloudNativePG 1\.26\.0 or later .* pins 1\.25\.0$/,
    );
  });
  it("back, accepts only a rollback that restores the data", () => {
    const back = { from: "2.0.0", to: "1.5.1", coordinated: true };
    assert.equal(postgresMajorRefusal({ ...back, rollbackMode: "restore" }, v200, v151), undefined);
    assert.match(
      postgresMajorRefusal({ ...back, rollbackMode: "expand-only" }, v200, v151) ?? "",
      /moves PostgreSQL 17 to 16, and PostgreSQL 16 cannot read data 17 wrote: it must be a rollback with the data/,
    );
  });

  describe("a rollback across it, even from expand-only migrations", () => {
    const expand: Release = structuredClone(v200);
    expand.notes.migrations = "expand-only";
    const edited = { ...catalog, releases: new Map(catalog.releases).set("2.0.0", expand) };
    it("is offered as a restore", () => {
      assert.equal(offeredRollback(edited, "2.0.0", "1.5.1"), "restore");
    });
    it("written as expand-only, is refused, naming both majors", () => {
      assert.throws(
        () =>
          planRollback(edited, {
            rollback: { from: "2.0.0", mode: "expand-only" },
            restore: undefined,
            window: { from: "2.0.0", to: "1.5.1", mode: "coordinated", gatewayCanaryPercent: undefined },
            deployed: null,
            platformDatabase: undefined as never,
          } as never),
        (err: unknown) =>
          err instanceof LockstepInputError &&
          /moves PostgreSQL 17 back to 16, which cannot read what 17 wrote/.test(err.message),
      );
    });
  });
});
