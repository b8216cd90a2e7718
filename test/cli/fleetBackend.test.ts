/**
 * cli/fleetBackend.ts's wiring of the Automation API, against a stand-in for LocalWorkspace that records
 * what it was asked (a double, for speed: test/e2e/fleet.e2e.ts drives the same code with the real CLI).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type * as automation from "@pulumi/pulumi/automation";
import { automationFleetBackend, EngineRunOptions, WorkspaceApi } from "../../cli/fleetBackend";

interface Asked {
  creates: { workDir?: string }[];
  selects: { stackName: string; workDir: string; envVars: Record<string, string> }[];
  runs: { stack: string; kind: "preview" | "up"; options: Record<string, unknown> }[];
}

/** What the stand-in's stacks answer; a run whose stack is in `fails` rejects with that message. */
interface Script {
  stacks?: { name: string; tags: Record<string, string>; history: Partial<automation.UpdateSummary>[] }[];
  outputs?: Record<string, Record<string, { value: unknown; secret: boolean }>>;
  events?: automation.EngineEvent[];
  fails?: Record<string, string>;
}

function standIn(script: Script = {}) {
  const asked: Asked = { creates: [], selects: [], runs: [] };
  const stackOf = (stackName: string) => ({
    history: async (pageSize: number) =>
      (script.stacks?.find((s) => s.name === stackName)?.history ?? []).slice(0, pageSize),
    preview: async (options: Record<string, unknown>) => run(stackName, "preview", options),
    up: async (options: Record<string, unknown>) => run(stackName, "up", options),
  });
  const run = async (stack: string, kind: "preview" | "up", options: Record<string, unknown>) => {
    asked.runs.push({ stack, kind, options });
    (options.onOutput as (out: string) => void)?.("Previewing update\n\n  + 2 to create\n");
    (options.onError as (out: string) => void)?.("warning: on stderr\n");
    for (const event of script.events ?? []) (options.onEvent as (e: automation.EngineEvent) => void)?.(event);
    const failure = script.fails?.[stack];
    if (failure) throw new Error(failure);
    return {};
  };
  const api = {
    create: async (args: { workDir?: string }) => {
      asked.creates.push(args);
      return {
        listStacks: async () => (script.stacks ?? []).map((s) => ({ name: s.name })),
        listTags: async (name: string) => script.stacks?.find((s) => s.name === name)?.tags ?? {},
        stackOutputs: async (name: string) => script.outputs?.[name] ?? {},
      };
    },
    selectStack: async (args: { stackName: string; workDir: string }, opts: { envVars: Record<string, string> }) => {
      asked.selects.push({ ...args, envVars: opts.envVars });
      return stackOf(args.stackName);
    },
  } as unknown as WorkspaceApi;
  return { asked, backend: automationFleetBackend("/work/project", () => api) };
}

const engine = (printed: string[], extra: Partial<EngineRunOptions> = {}): EngineRunOptions => ({
  policyPack: "policy",
  policyPackConfig: "policy/config/prod.json",
  onOutput: (line) => printed.push(line),
  ...extra,
});

describe("the fleet's Automation API backend", () => {
  it("lists stacks with their tags and last update, from one workspace in the project", async () => {
    const { asked, backend } = standIn({
      stacks: [
        {
          name: "eu-1",
          tags: { "lockstep:ring": "canary" },
          history: [
            {
              result: "succeeded",
              startTime: new Date("2026-12-01T10:00:00Z"),
              endTime: new Date("2026-12-01T10:05:00Z"),
            },
            { result: "failed", startTime: new Date("2026-11-01T10:00:00Z") },
          ],
        },
        { name: "eu-2", tags: {}, history: [{ result: "in-progress", startTime: new Date("2026-12-02T09:00:00Z") }] },
        { name: "eu-3", tags: {}, history: [{ result: "failed" }] },
        { name: "new", tags: {}, history: [] },
      ],
    });
    assert.deepEqual(await backend.listStacks(), [
      {
        name: "eu-1",
        tags: { "lockstep:ring": "canary" },
        lastUpdate: { result: "succeeded", at: "2026-12-01T10:05:00.000Z" },
      },
      { name: "eu-2", tags: {}, lastUpdate: { result: "in-progress", at: "2026-12-02T09:00:00.000Z" } },
      { name: "eu-3", tags: {}, lastUpdate: { result: "failed", at: null } },
      { name: "new", tags: {}, lastUpdate: null },
    ]);
    await backend.outputs("eu-1");
    assert.deepEqual(asked.creates, [{ workDir: "/work/project" }], "one workspace, created once");
    assert.deepEqual(
      asked.selects.map((s) => [s.stackName, s.workDir]),
      ["eu-1", "eu-2", "eu-3", "new"].map((name) => [name, "/work/project"]),
    );
  });

  it("a stack's outputs as plain values, secret ones included", async () => {
    const { backend } = standIn({
      outputs: {
        prod: { release: { value: { version: "1.5.1" }, secret: false }, token: { value: "s3cret", secret: true } },
      },
    });
    assert.deepEqual(await backend.outputs("prod"), { release: { version: "1.5.1" }, token: "s3cret" });
  });

  it("preview and up: the policy pack and its config, no refresh unless asked, every printed line on its own", async () => {
    const { asked, backend } = standIn();
    const printed: string[] = [];
    await backend.preview("prod", engine(printed));
    await backend.up("prod", engine(printed, { refresh: true }));
    assert.deepEqual(
      asked.runs.map((r) => [r.kind, r.options.policyPacks, r.options.policyPackConfigs, r.options.refresh]),
      [
        ["preview", ["policy"], ["policy/config/prod.json"], false],
        ["up", ["policy"], ["policy/config/prod.json"], true],
      ],
    );
    assert.deepEqual(printed.slice(0, 3), ["Previewing update", "  + 2 to create", "warning: on stderr"]);
    assert.deepEqual(
      asked.selects.map((s) => s.envVars),
      [{}, {}],
    );
  });

  it("an up that takes over fields other managers own sets the provider's patch force, and only then", async () => {
    const { asked, backend } = standIn();
    await backend.up("prod", engine([], { forceConflicts: true }));
    await backend.plannedSteps("prod", { refresh: false, forceConflicts: true, onOutput: () => undefined });
    await backend.plannedSteps("prod", { refresh: false, onOutput: () => undefined });
    assert.deepEqual(
      asked.selects.map((s) => s.envVars),
      [{ PULUMI_K8S_ENABLE_PATCH_FORCE: "true" }, { PULUMI_K8S_ENABLE_PATCH_FORCE: "true" }, {}],
    );
  });

  it("a failed run rejects in one line naming the command and the stack", async () => {
    const fails = {
      prod: "code: -2\n stdout: error: update failed\n stderr: Command failed with exit code 255: pulumi",
    };
    const { backend } = standIn({ fails });
    await assert.rejects(backend.up("prod", engine([])), {
      message: "pulumi up of prod failed (exit 255): error: update failed",
    });
    await assert.rejects(backend.preview("prod", engine([])), {
      message: "pulumi preview of prod failed (exit 255): error: update failed",
    });
    const steps = (refresh: boolean) => backend.plannedSteps("prod", { refresh, onOutput: () => undefined });
    await assert.rejects(steps(true), { message: /^pulumi preview --refresh of prod failed \(exit 255\)/ });
    await assert.rejects(steps(false), { message: /^pulumi preview of prod failed \(exit 255\)/ });
  });

  it("planned steps: each resource's step with the paths it changes, the state's object and the program's", async () => {
    const metadata = (urn: string, extra: Record<string, unknown>) =>
      ({
        resourcePreEvent: { metadata: { urn, type: "kubernetes:apps/v1:Deployment", op: "update", ...extra } },
      }) as unknown as automation.EngineEvent;
    const { asked, backend } = standIn({
      events: [
        { diagnosticEvent: { message: "hello" } } as unknown as automation.EngineEvent,
        metadata("urn:a", {
          detailedDiff: { "spec.replicas": { kind: "update" } },
          diffs: ["spec"],
          old: { outputs: { spec: { replicas: 5 } } },
          new: { inputs: { spec: { replicas: 2 } } },
        }),
        metadata("urn:b", { diffs: ["metadata.labels"] }),
        metadata("urn:c", {}),
      ],
    });
    const printed: string[] = [];
    const steps = await backend.plannedSteps("staging", { refresh: true, onOutput: (l) => printed.push(l) });
    assert.deepEqual(steps, [
      {
        urn: "urn:a",
        type: "kubernetes:apps/v1:Deployment",
        op: "update",
        paths: ["spec.replicas"],
        old: { spec: { replicas: 5 } },
        declared: { spec: { replicas: 2 } },
      },
      {
        urn: "urn:b",
        type: "kubernetes:apps/v1:Deployment",
        op: "update",
        paths: ["metadata.labels"],
        old: undefined,
        declared: undefined,
      },
      {
        urn: "urn:c",
        type: "kubernetes:apps/v1:Deployment",
        op: "update",
        paths: [],
        old: undefined,
        declared: undefined,
      },
    ]);
    assert.deepEqual(
      [asked.runs[0].kind, asked.runs[0].options.refresh, asked.runs[0].options.policyPacks],
      ["preview", true, undefined],
      "a preview without the policy pack: it only reads",
    );
    assert.deepEqual(printed, ["Previewing update", "  + 2 to create", "warning: on stderr"]);
  });
});
