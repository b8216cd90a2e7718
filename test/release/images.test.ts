/** Image references, where they are pulled from, and the chart values made from them: literals in, literals out. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chartImageValues, formatImage, mirrored, parseImage } from "../../lib/release/images";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;

describe("image references", () => {
  it("split into registry, repository, tag and digest, a registry port and an absent tag included", () => {
    assert.deepEqual(parseImage(`ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0@${A}`), {
      registry: "ghcr.io",
      repository: "cloudnative-pg/cloudnative-pg",
      tag: "1.30.0",
      digest: A,
    });
    assert.deepEqual(parseImage(`registry.lockstep.example/aigw/api@${A}`), {
      registry: "registry.lockstep.example",
      repository: "aigw/api",
      tag: "",
      digest: A,
    });
    assert.deepEqual(parseImage(`localhost:5000/team/app@${A}`), {
      registry: "localhost:5000",
      repository: "team/app",
      tag: "",
      digest: A,
    });
    assert.deepEqual(parseImage(`localhost:5000/app:v2@${A}`), {
      registry: "localhost:5000",
      repository: "app",
      tag: "v2",
      digest: A,
    });
  });
  it("format back to the same reference, with or without a tag", () => {
    for (const ref of [`ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0@${A}`, `registry.lockstep.example/aigw/api@${A}`])
      assert.equal(formatImage(parseImage(ref)), ref);
  });
  it("move to the mirror of their registry, with its path prefix, and keep the digest", () => {
    const ref = `ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0@${A}`;
    assert.equal(
      mirrored(ref, { "ghcr.io": "mirror.corp.example/ghcr" }),
      `mirror.corp.example/ghcr/cloudnative-pg/cloudnative-pg:1.30.0@${A}`,
    );
    assert.equal(
      mirrored(ref, { "ghcr.io": "mirror.corp.example" }),
      `mirror.corp.example/cloudnative-pg/cloudnative-pg:1.30.0@${A}`,
    );
    assert.equal(
      mirrored(ref, { "quay.io": "mirror.corp.example/quay" }),
      ref,
      "another registry's mirror does not apply",
    );
    assert.equal(mirrored(ref, undefined), ref);
  });
  it("become each chart's image values, digest and all", () => {
    const mirror = { "ghcr.io": "mirror.corp.example/ghcr" };
    assert.deepEqual(
      chartImageValues("cnpgOperator", { operator: `ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0@${A}` }, mirror),
      {
        image: { repository: "mirror.corp.example/ghcr/cloudnative-pg/cloudnative-pg", tag: `1.30.0@${A}` },
      },
    );
    assert.deepEqual(
      chartImageValues(
        "barmanCloudPlugin",
        {
          plugin: `ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.13.0@${A}`,
          sidecar: `ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar@${B}`,
        },
        undefined,
      ),
      {
        image: { registry: "ghcr.io", repository: "cloudnative-pg/plugin-barman-cloud", tag: `v0.13.0@${A}` },
        sidecarImage: { registry: "ghcr.io", repository: "cloudnative-pg/plugin-barman-cloud-sidecar", tag: B },
      },
    );
    assert.deepEqual(chartImageValues("identity", { keycloak: `quay.io/keycloak/keycloak:26.5.6@${A}` }, undefined), {
      image: { repository: "quay.io/keycloak/keycloak", tag: "26.5.6", digest: A },
    });
    assert.deepEqual(chartImageValues("openbao", { server: `quay.io/openbao/openbao:2.4.3@${A}` }, undefined), {
      server: { image: { registry: "quay.io", repository: "openbao/openbao", tag: `2.4.3@${A}` } },
    });
  });
});
