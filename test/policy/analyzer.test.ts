/**
 * The real policy pack, as the Pulumi CLI runs it: `policy/index.ts` started as its own process, serving
 * the analyzer gRPC protocol (@pulumi/policy's server). The test plays the engine's part: it sends the
 * resources the program registered (with parents and dependencies) through AnalyzeStack and Analyze, and
 * checks the pack gives exactly the verdicts of the offline plan's in-process runner.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { runPolicies, Violation } from "../../plan/policyRunner";
import type { RecordedResource } from "../../plan/runtime";
import { PROJECT, ROLLING_WINDOW, runStack } from "../helpers";

let pack: ChildProcess;
let client: AnalyzerClient;

describe("the policy pack as an analyzer", () => {
  before(async () => {
    pack = spawn(process.execPath, ["--import", "tsx", "index.ts"], {
      cwd: path.join(PROJECT, "policy"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    pack.stderr?.on("data", (d) => {
      stderr += d;
    });
    let timer: NodeJS.Timeout | undefined;
    const port = await new Promise<string>((resolve, reject) => {
      pack.stdout?.once("data", (d) => resolve(String(d).trim()));
      pack.once("exit", (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
      timer = setTimeout(() => reject(new Error(`policy pack printed no port in 30 s: ${stderr}`)), 30_000);
    }).finally(() => clearTimeout(timer)); // a pending timer would hold the test process open for 30 s
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  after(() => {
    client?.close();
    pack?.kill();
  });

  const settle =
    <T>(resolve: (v: T) => void, reject: (e: Error) => void) =>
    (err: grpc.ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res);
  const analyzeStack = (req: pb.AnalyzeStackRequest) =>
    new Promise<pb.AnalyzeResponse>((ok, fail) => client.analyzeStack(req, settle(ok, fail)));
  const analyze = (req: pb.AnalyzeRequest) =>
    new Promise<pb.AnalyzeResponse>((ok, fail) => client.analyze(req, settle(ok, fail)));
  const analyzerInfo = () =>
    new Promise<pb.AnalyzerInfo>((ok, fail) => client.getAnalyzerInfo(new Empty(), settle(ok, fail)));

  function options(r: RecordedResource): pb.AnalyzerResourceOptions {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.protect);
    o.setDeletebeforereplace(r.deleteBeforeReplace);
    if (r.parentUrn) o.setParent(r.parentUrn);
    return o;
  }
  const struct = (props: Record<string, unknown>) => Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));

  /** The pack's verdicts over the engine protocol: AnalyzeStack once, Analyze per resource. */
  async function packVerdicts(resources: RecordedResource[]): Promise<string[]> {
    const nameOf = new Map(resources.map((r) => [r.urn, r.name]));
    const stack = new pb.AnalyzeStackRequest();
    stack.setResourcesList(
      resources.map((r) => {
        const a = new pb.AnalyzerResource();
        a.setType(r.type);
        a.setProperties(struct(r.props));
        a.setUrn(r.urn);
        a.setName(r.name);
        a.setOptions(options(r));
        if (r.parentUrn) a.setParent(r.parentUrn);
        a.setDependenciesList(r.dependencyUrns);
        return a;
      }),
    );
    // All in flight at once, as the engine sends them: one at a time, each round trip left both sides idle.
    const perResource = resources.map(async (r) => {
      const req = new pb.AnalyzeRequest();
      req.setType(r.type);
      req.setProperties(struct(r.props));
      req.setUrn(r.urn);
      req.setName(r.name);
      req.setOptions(options(r));
      // A resource policy's diagnostic names no URN: the engine attributes it to the resource analyzed.
      return (await analyze(req)).getDiagnosticsList().map((d) => (d.getUrn() ? d : d.setUrn(r.urn)));
    });
    const [forStack, ...forResources] = await Promise.all([analyzeStack(stack), ...perResource]);
    const diagnostics = [...forStack.getDiagnosticsList(), ...forResources.flat()];
    const level = (l: pb.EnforcementLevel) => (l === pb.EnforcementLevel.MANDATORY ? "mandatory" : "advisory");
    // The pack server puts the policy's description on the first line of each message, as the CLI prints it.
    const message = (d: pb.AnalyzeDiagnostic) => d.getMessage().replace(`${d.getDescription()}\n`, "");
    return diagnostics
      .map(
        (d) =>
          `${d.getPolicyname()} | ${level(d.getEnforcementlevel())} | ${nameOf.get(d.getUrn()) ?? null} | ${message(d)}`,
      )
      .sort();
  }

  const planVerdicts = (v: Violation[]) =>
    v.map((x) => `${x.policy} | ${x.level} | ${x.resource} | ${x.message}`).sort();

  const record = (stack: string, sets: string[]): Promise<RecordedResource[]> => runStack(stack, ...sets);

  describe("the policy pack over the analyzer protocol", () => {
    it("announces the 17 policies with their levels and config schemas", async () => {
      const info = await analyzerInfo();
      assert.equal(info.getName(), "lockstep");
      const policies = info.getPoliciesList();
      assert.equal(policies.length, 17);
      assert.ok(policies.every((p) => p.getEnforcementlevel() === pb.EnforcementLevel.MANDATORY));
      const canary = policies.find((p) => p.getName() === "canary-bounds");
      assert.equal(canary?.getConfigschema()?.getProperties()?.toJavaScript().maxCanaryPercent?.constructor, Object);
    });

    const variants: [string, string, string[], RegExp | null][] = [
      [
        "a compliant window with a canary (HA)",
        "staging",
        ["ha=true", ...ROLLING_WINDOW, "upgrade.gatewayCanaryPercent=10"],
        null,
      ],
      ["prod as promoted", "prod", [], null],
      [
        "a skipped minor",
        "staging",
        ["release=1.5.0", "deployed=1.3.4", "console.blue=1.5.0"],
        /^upgrade-path \| mandatory/,
      ],
      [
        "a canary above the maximum",
        "staging",
        [...ROLLING_WINDOW, "upgrade.gatewayCanaryPercent=80"],
        /^canary-bounds \| mandatory/,
      ],
      [
        "a console two minors behind",
        "staging",
        ["console.green=1.3.4"],
        /^(mixed-version-compatibility|blue-green-integrity) \| mandatory/,
      ],
      [
        "prod at a release it was not promoted to",
        "prod",
        ["release=1.5.0", "console.blue=1.5.0"],
        /^prod-promoted-only \| mandatory/,
      ],
    ];
    for (const [what, stack, sets, expected] of variants) {
      it(`gives the plan's verdicts for ${what}`, async () => {
        const resources = await record(stack, sets);
        const fromPack = await packVerdicts(resources);
        assert.deepEqual(fromPack, planVerdicts(await runPolicies(stack, resources, {})));
        if (expected)
          assert.ok(
            fromPack.some((v) => expected.test(v)),
            JSON.stringify(fromPack),
          );
        else assert.deepEqual(fromPack, []);
      });
    }

    it("gives the plan's verdicts for hand-edited resources (resource policies through Analyze)", async () => {
      const resources = structuredClone(await record("staging", []));
      const api = resources.find((r) => r.name === "api") as RecordedResource;
      const container = (api.props as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec
        .template.spec.containers[0];
      container.image = "registry.lockstep.example/aigw/api:1.5.1";
      container.securityContext = { ...(container.securityContext as object), readOnlyRootFilesystem: false };
      const fromPack = await packVerdicts(resources);
      assert.deepEqual(fromPack, planVerdicts(await runPolicies("staging", resources, {})));
      assert.ok(fromPack.some((v) => v.startsWith("release-set-pinned | mandatory | api | container api image")));
      assert.ok(
        fromPack.some((v) =>
          v.startsWith("pod-security | mandatory | api | container api must have a read-only root filesystem"),
        ),
      );
    });
  });
});
