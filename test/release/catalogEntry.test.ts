/** A new release composed by `lockstep catalog add` (lib/release/catalogEntry.ts), straight from its inputs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import { composeRelease } from "../../lib/release/catalogEntry";
import { refusal } from "../helpers";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const digest = (c: string) => `${c.repeat(64)}`;
const images = {
  api: `registry.lockstep.example/aigw/api@sha256:${digest("a")}`,
  gateway: `registry.lockstep.example/aigw/gateway@sha256:${digest("b")}`,
  console: `registry.lockstep.example/aigw/console@sha256:${digest("c")}`,
  workers: `registry.lockstep.example/aigw/workers@sha256:${digest("d")}`,
};
describe("composeRelease", () => {
  it("writes a header naming the base it carried from, keeps long text on one line, and defaults the notes", () => {
    const summary = `A patch release whose summary is long enough that a YAML writer with a line width would fold it over two lines ${"x".repeat(40)}`;
    const entry = composeRelease(catalog, { version: "1.5.2", images, summary });
    assert.equal(entry.base, "1.5.1");
    assert.ok(
      entry.text.startsWith(
        "# Release set 1.5.2, added by `lockstep catalog add` (charts, PostgreSQL and Kubernetes range carried from 1.5.1 where not given).\n# Append-only: a published set never changes.\n",
      ),
      entry.text.slice(0, 200),
    );
    assert.ok(entry.text.includes(`summary: ${summary}\n`), "one line");
    const plain = composeRelease(catalog, { version: "1.5.2", images });
    assert.deepEqual(
      [
        plain.release.notes.summary,
        plain.release.notes.breakingChanges,
        plain.release.notes.requiredConfig,
        plain.release.notes.migrations,
      ],
      ["", [], [], "contract"],
    );
    assert.deepEqual(
      plain.release.notes.upgradeFrom,
      [">=1.4.0 <1.6.0"],
      "a patch upgrades from the previous minor and its own",
    );
    assert.deepEqual(
      composeRelease(catalog, { version: "1.6.0", images }).release.notes.upgradeFrom,
      [">=1.5.0 <1.6.0"],
      "a minor from the previous minor",
    );
    assert.deepEqual(
      composeRelease(catalog, { version: "2.0.1", images }).release.notes.upgradeFrom,
      [">=2.0.0 <2.1.0"],
      "a patch of a major is no major",
    );
  });

  it("pins the gateway build's plugins from flags or the build file, never from the base release", () => {
    assert.deepEqual(composeRelease(catalog, { version: "1.5.2", images }).release.components.gateway.plugins, {});
    const file = { components: { gateway: { plugins: { "rate-limit": "2.1.2", "old-plugin": "0.1.0" } } } };
    assert.deepEqual(composeRelease(catalog, { version: "1.5.2", images, file }).release.components.gateway.plugins, {
      "rate-limit": "2.1.2",
      "old-plugin": "0.1.0",
    });
    const flagged = composeRelease(catalog, { version: "1.5.2", images, file, plugins: { "rate-limit": "2.1.3" } });
    assert.deepEqual(flagged.release.components.gateway.plugins, { "rate-limit": "2.1.3" }, "flags replace the list");
    assert.deepEqual(file.components.gateway.plugins, { "rate-limit": "2.1.2", "old-plugin": "0.1.0" }, "untouched");
    assert.match(
      refusal(() => composeRelease(catalog, { version: "1.5.2", images, plugins: { "rate-limit": "latest" } })),
      /field components\.gateway\.plugins\.rate-limit = "latest": must be an exact version/,
    );
  });

  it("carries notes from the build file: breaking changes, required config and compatibility", () => {
    const compatibility = { gateway: ">=1.5.0 <1.6.0" };
    const entry = composeRelease(catalog, {
      version: "1.5.2",
      images,
      file: { notes: { breakingChanges: ["drops v1 tokens"], requiredConfig: ["smoke"], compatibility } },
    });
    assert.deepEqual(entry.release.notes.breakingChanges, ["drops v1 tokens"]);
    assert.deepEqual(entry.release.notes.requiredConfig, ["smoke"]);
    assert.deepEqual(entry.release.notes.compatibility, compatibility);
  });

  it("compares only with its own major and minor line, and takes an explicit base", () => {
    assert.equal(composeRelease(catalog, { version: "0.5.0", images, base: "1.5.1" }).release.version, "0.5.0");
    assert.equal(
      refusal(() => composeRelease(catalog, { version: "1.5.2", images, base: "1.4.9" })),
      "--base 1.4.9: not in the release catalog (1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0)",
    );
  });

  it("asks for every image of a chart that moves, and refuses chart images for a chart that does not", () => {
    assert.equal(
      refusal(() =>
        composeRelease(catalog, { version: "1.5.2", images, charts: { barmanCloudPlugin: { version: "0.8.0" } } }),
      ),
      "--chart barmanCloudPlugin=0.8.0 moves the chart, so its images must be pinned again: pass --chart-image barmanCloudPlugin.plugin=<repo>@sha256:<digest> --chart-image barmanCloudPlugin.sidecar=<repo>@sha256:<digest>",
    );
    assert.equal(
      refusal(() =>
        composeRelease(catalog, {
          version: "1.5.2",
          images,
          chartImages: { openbao: { server: `quay.io/openbao/openbao@sha256:${digest("e")}` } },
        }),
      ),
      "--chart-image openbao.*: images change only with the chart's version; pass --chart openbao=<version> too",
    );
  });

  it("takes a required config key the stacks have, and refuses another, with a hint when one is near", () => {
    assert.deepEqual(
      composeRelease(catalog, { version: "1.5.2", images, requiredConfig: ["smoke", "backup"] }).release.notes
        .requiredConfig,
      ["smoke", "backup"],
    );
    const keys =
      "release, environment, namespace, ha, upgrade, console, backup, awaitRollouts, smoke, kubernetesVersion, promotion, chartValues, chartSource, route, restore, rollback, restoreDrill, cluster, canary";
    assert.equal(
      refusal(() => composeRelease(catalog, { version: "1.5.2", images, requiredConfig: ["smok"] })),
      `--require-config "smok": not a stack config key (did you mean smoke?); a release that required it could never be planned; the keys are ${keys}`,
    );
    assert.equal(
      refusal(() => composeRelease(catalog, { version: "1.5.2", images, requiredConfig: ["zzzzzz"] })),
      `--require-config "zzzzzz": not a stack config key; a release that required it could never be planned; the keys are ${keys}`,
    );
  });

  it("asks a major release to say what upgrades to it, with an example from the previous major", () => {
    assert.equal(
      refusal(() => composeRelease(catalog, { version: "3.0.0", images })),
      '--version 3.0.0 is a major release, so it must say which versions may upgrade to it: pass --upgrade-from "<range>" (for example ">=2.N.0 <3.0.0")',
    );
  });
});
