/** The typed Kubernetes version against what the API server reports: pure, as the program and preflight use it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serverVersionOf, serverVersionRefusal } from "../../lib/config/serverVersion";

describe("the cluster's Kubernetes version", () => {
  it("reads the server's version from `kubectl version -o json`, vendor suffixes dropped", () => {
    const answer = (gitVersion: unknown) => JSON.stringify({ clientVersion: {}, serverVersion: { gitVersion } });
    assert.equal(serverVersionOf(answer("v1.31.14")), "1.31.14");
    assert.equal(serverVersionOf(answer("v1.30.6+k3s1")), "1.30.6");
    assert.equal(serverVersionOf(answer("v1.29.3-eks-ae9a62a")), "1.29.3");
    assert.equal(serverVersionOf(JSON.stringify({ clientVersion: {} })), undefined, "no server answered");
    assert.equal(serverVersionOf("<html>proxy</html>"), undefined);
  });
  it("accepts a typed minor for any of its patches, a typed patch only for itself", () => {
    assert.equal(serverVersionRefusal("1.31", "1.31.14"), undefined);
    assert.equal(serverVersionRefusal("v1.31", "1.31.0"), undefined);
    assert.equal(serverVersionRefusal("1.31.14", "1.31.14"), undefined);
    assert.match(
      serverVersionRefusal("1.31.4", "1.31.14") ?? "",
      /= "1\.31\.4" .*reports v1\.31\.14 .*set it to "1\.31\.14"$/,
    );
    assert.match(serverVersionRefusal("1.32", "1.31.14") ?? "", /set it to "1\.31"$/);
    assert.equal(serverVersionRefusal(undefined, "1.31.14"), undefined, "unset is kubernetes-baseline's to refuse");
  });
});
