/** The fleet as Pulumi Kubernetes Operator Stack objects (lib/fleet/operatorExport.ts), field by field. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { renderOperatorStacks, stackObjectName, workspaceTemplate } from "../../lib/fleet/operatorExport";

const options = {
  namespace: "pulumi-operator",
  repo: "https://git.example/platform/lockstep.git",
  commit: "0123456789abcdef0123456789abcdef01234567",
  tokensSecret: "lockstep-tokens",
};
const verifier = { stack: "staging", ring: "staging", config: { "lockstep:release": "1.5.1" } };
const installs = [
  { stack: "acme/eu-prod", ring: "canary", config: { "lockstep:release": "1.5.1" } },
  { stack: "globex/prod", ring: "broad", config: {} },
  { stack: "initech/prod", ring: "broad", config: {} },
];

describe("stackObjectName", () => {
  it("turns a stack name into a DNS label: lowercase, runs of other characters to one dash, no dash at either end, at most 63", () => {
    assert.equal(stackObjectName("acme/eu-prod"), "acme-eu-prod");
    assert.equal(stackObjectName("Acme/EU_Prod"), "acme-eu-prod");
    assert.equal(stackObjectName("acme//@eu--prod"), "acme-eu--prod");
    assert.equal(stackObjectName("--/acme/eu-prod/--"), "acme-eu-prod");
    assert.equal(stackObjectName("acme/eu-prod-"), "acme-eu-prod");
    assert.equal(stackObjectName("-acme"), "acme");
    assert.equal(stackObjectName(`${"a".repeat(70)}`), "a".repeat(63));
  });
});

describe("workspaceTemplate", () => {
  it("runs the workspace restricted, with requests and limits for memory and ephemeral storage", () => {
    assert.deepEqual(workspaceTemplate("deployer"), {
      spec: {
        serviceAccountName: "deployer",
        securityProfile: "restricted",
        resources: {
          requests: { cpu: "1", memory: "2Gi", "ephemeral-storage": "4Gi" },
          limits: { memory: "4Gi", "ephemeral-storage": "8Gi" },
        },
      },
    });
  });
});

describe("renderOperatorStacks", () => {
  // Rendered in a hook, not while the suite is collected, so each test runs against the code as it is then.
  let objects: ReturnType<typeof renderOperatorStacks> = [];
  before(() => {
    objects = renderOperatorStacks(verifier, installs, ["canary", "empty", "broad"], options);
  });
  const named = (name: string) => objects.find((o) => o.metadata.name === name) as (typeof objects)[number];

  it("renders the verifier first, then each ring's installs in ring order, skipping an empty ring", () => {
    assert.deepEqual(
      objects.map((o) => [o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name]),
      [
        ["pulumi.com/v1", "Stack", "pulumi-operator", "staging"],
        ["pulumi.com/v1", "Stack", "pulumi-operator", "acme-eu-prod"],
        ["pulumi.com/v1", "Stack", "pulumi-operator", "globex-prod"],
        ["pulumi.com/v1", "Stack", "pulumi-operator", "initech-prod"],
      ],
    );
  });

  it("chains the rings: the verifier has no prerequisite, a ring waits on every install of the ring before it (an empty ring breaks no chain)", () => {
    const prerequisites = (name: string) =>
      named(name).spec.prerequisites?.map((p) => [p.name, p.requirement.succeededWithinDuration]);
    assert.equal(prerequisites("staging"), undefined);
    assert.equal("prerequisites" in named("staging").spec, false);
    assert.deepEqual(prerequisites("acme-eu-prod"), [["staging", "24h"]]);
    assert.deepEqual(prerequisites("globex-prod"), [["acme-eu-prod", "24h"]]);
    assert.deepEqual(prerequisites("initech-prod"), [["acme-eu-prod", "24h"]]);
    const within = renderOperatorStacks(verifier, installs, ["canary"], { ...options, prerequisiteWithin: "2h" });
    assert.deepEqual(
      within[1].spec.prerequisites?.map((p) => p.requirement.succeededWithinDuration),
      ["2h"],
    );
  });

  it("labels each Stack as lockstep's, with its ring (the verifier's is verification)", () => {
    assert.deepEqual(named("staging").metadata.labels, {
      "app.kubernetes.io/part-of": "lockstep",
      "lockstep.dev/ring": "verification",
    });
    assert.deepEqual(named("globex-prod").metadata.labels, {
      "app.kubernetes.io/part-of": "lockstep",
      "lockstep.dev/ring": "broad",
    });
  });

  it("runs the stack at the pinned commit with its config, refreshing first and never destroying on delete", () => {
    const spec = named("acme-eu-prod").spec;
    assert.deepEqual(
      [spec.stack, spec.projectRepo, spec.commit, spec.repoDir, spec.config, spec.refresh, spec.destroyOnFinalize],
      ["acme/eu-prod", options.repo, options.commit, ".", { "lockstep:release": "1.5.1" }, true, false],
    );
    assert.equal(
      renderOperatorStacks(verifier, [], [], { ...options, repoDir: "deploy/lockstep" })[0].spec.repoDir,
      "deploy/lockstep",
    );
  });

  it("takes every token from the tokens Secret, and the workspace's ServiceAccount from the options (pulumi by default)", () => {
    assert.deepEqual(named("staging").spec.envRefs, {
      PULUMI_ACCESS_TOKEN: { type: "Secret", secret: { name: "lockstep-tokens", key: "PULUMI_ACCESS_TOKEN" } },
      PULUMI_CONFIG_PASSPHRASE: {
        type: "Secret",
        secret: { name: "lockstep-tokens", key: "PULUMI_CONFIG_PASSPHRASE" },
      },
      BAO_TOKEN: { type: "Secret", secret: { name: "lockstep-tokens", key: "BAO_TOKEN" } },
      LOCKSTEP_SMOKE_TOKEN: { type: "Secret", secret: { name: "lockstep-tokens", key: "LOCKSTEP_SMOKE_TOKEN" } },
    });
    assert.equal(named("staging").spec.workspaceTemplate.spec.serviceAccountName, "pulumi");
    assert.equal(
      renderOperatorStacks(verifier, [], [], { ...options, serviceAccountName: "deployer" })[0].spec.workspaceTemplate
        .spec.serviceAccountName,
      "deployer",
    );
  });
});
