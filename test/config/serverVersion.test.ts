/** The typed Kubernetes version against what the API server reports: pure, as the program and preflight use it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { kubectlServerVersion, serverVersionOf, serverVersionRefusal } from "../../lib/config/serverVersion";

/** Puts a `kubectl` on PATH that logs its arguments and answers with `script`, for the duration of `fn`. */
function withKubectl<T>(script: string, fn: (log: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-version-"));
  const log = path.join(dir, "args");
  fs.writeFileSync(path.join(dir, "kubectl"), `#!/usr/bin/env bash\necho "$*" > ${JSON.stringify(log)}\n${script}\n`, {
    mode: 0o755,
  });
  const saved = process.env.PATH;
  process.env.PATH = `${dir}:${saved}`;
  try {
    return fn(log);
  } finally {
    process.env.PATH = saved;
  }
}

describe("the cluster's Kubernetes version", () => {
  it("reads the server's version from `kubectl version -o json`, vendor suffixes dropped", () => {
    const answer = (gitVersion: unknown) => JSON.stringify({ clientVersion: {}, serverVersion: { gitVersion } });
    assert.equal(serverVersionOf(answer("v1.31.14")), "1.31.14");
    assert.equal(serverVersionOf(answer("v1.30.6+k3s1")), "1.30.6");
    assert.equal(serverVersionOf(answer("v1.29.3-eks-ae9a62a")), "1.29.3");
    assert.equal(serverVersionOf(JSON.stringify({ clientVersion: {} })), undefined, "no server answered");
    assert.equal(serverVersionOf(answer("1.31.4")), "1.31.4", "the v is optional");
    assert.equal(serverVersionOf(answer("10.0.1")), "10.0.1");
    assert.equal(serverVersionOf(answer("dev-v1.2.3")), undefined, "a version is where the string starts");
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
    assert.match(serverVersionRefusal("1.3v1", "1.31.0") ?? "", /set it to "1\.31"$/, "only a leading v is dropped");
  });

  it("asks the stack's own cluster with kubectl, and says why when it does not answer", () => {
    const cluster = { kubeconfig: "/clusters/eu.yaml", context: "eu" };
    withKubectl(`echo '{"serverVersion":{"gitVersion":"v1.32.3"}}'`, (log) => {
      assert.deepEqual(kubectlServerVersion(cluster, "/project"), { version: "1.32.3" });
      assert.equal(
        fs.readFileSync(log, "utf8").trim(),
        "--kubeconfig /clusters/eu.yaml --context eu version -o json --request-timeout=10s",
      );
    });
    withKubectl(`echo 'first line' >&2; echo 'The connection to the server was refused' >&2; exit 1`, () => {
      assert.deepEqual(kubectlServerVersion(undefined, "/project"), {
        problem: "kubectl version: The connection to the server was refused",
      });
    });
    withKubectl("exit 3", () => {
      assert.deepEqual(kubectlServerVersion(undefined, "/project"), { problem: "kubectl version: exit 3" });
    });
    withKubectl(
      `echo '{"serverVersion":{"gitVersion":"v1.32.3"}}'; echo 'exec plugin: token expired' >&2; exit 1`,
      () => {
        assert.deepEqual(
          kubectlServerVersion(undefined, "/project"),
          { problem: "kubectl version: exec plugin: token expired" },
          "a version printed by a kubectl that then failed is not trusted",
        );
      },
    );
    withKubectl(`printf 'x%.0s' $(seq 300) >&2; exit 1`, () => {
      const read = kubectlServerVersion(undefined, "/project");
      assert.deepEqual(read, { problem: `kubectl version: ${"x".repeat(200)}` }, "a long reason is cut at 200");
    });
  });

  it("says so when there is no kubectl to ask", () => {
    const saved = process.env.PATH;
    process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), "no-kubectl-"));
    try {
      const read = kubectlServerVersion(undefined, "/project");
      assert.ok("problem" in read && /^kubectl version: .*ENOENT/.test(read.problem), JSON.stringify(read));
    } finally {
      process.env.PATH = saved;
    }
  });
});
