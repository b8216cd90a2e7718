/** Helm's release records as preflight reads them (lib/state/helmStatus.ts): which release is locked, and its fix. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pendingReleases } from "../../lib/state/helmStatus";

/** The pending releases of records that all parse. */
const pending = (namespace: string, columns: string) =>
  pendingReleases(namespace, columns) ?? assert.fail(`not read as records: ${columns}`);

describe("pendingReleases", () => {
  it("finds the releases whose newest revision is pending, sorted, each with the command that unlocks it", () => {
    const columns = [
      "openbao     3   pending-upgrade",
      "openbao     2   deployed",
      "keycloak    1   pending-install",
      "prometheus  4   superseded",
      "prometheus  5   deployed",
      "cnpg        2   pending-rollback",
      "barman      1   pending-upgrade",
    ].join("\n");
    assert.deepEqual(pendingReleases("platform", columns), [
      {
        namespace: "platform",
        name: "barman",
        revision: 1,
        status: "pending-upgrade",
        fix: "helm uninstall barman -n platform",
      },
      {
        namespace: "platform",
        name: "cnpg",
        revision: 2,
        status: "pending-rollback",
        fix: "helm rollback cnpg -n platform",
      },
      {
        namespace: "platform",
        name: "keycloak",
        revision: 1,
        status: "pending-install",
        fix: "helm uninstall keycloak -n platform",
      },
      {
        namespace: "platform",
        name: "openbao",
        revision: 3,
        status: "pending-upgrade",
        fix: "helm rollback openbao -n platform",
      },
    ]);
  });

  it("judges a release by its newest revision only, in whatever order the lines come", () => {
    assert.deepEqual(pending("p", "app 3 deployed\napp 2 pending-upgrade"), [], "an older pending revision");
    assert.deepEqual(
      pending("p", "app 2 pending-upgrade\napp 2 deployed").map((r) => r.status),
      ["pending-upgrade"],
      "the first line of a revision counts",
    );
    assert.deepEqual(
      pending("p", "app 10 pending-upgrade\napp 9 deployed").map((r) => r.revision),
      [10],
      "revisions compare as numbers",
    );
    assert.deepEqual(
      pending("p", "app 7 pending-install").map((r) => r.fix),
      ["helm uninstall app -n p"],
      "a first install that never finished, whatever its revision",
    );
  });

  it("reads lines with spaces around them and blank lines, and refuses anything that is not a record", () => {
    assert.deepEqual(
      pending("p", "\n   app 2 pending-upgrade   \n\n").map((r) => r.name),
      ["app"],
    );
    assert.deepEqual(pending("p", ""), []);
    assert.equal(pendingReleases("p", "error: You must be logged in to the server"), undefined);
    assert.equal(pendingReleases("p", "app two deployed"), undefined);
  });
});
