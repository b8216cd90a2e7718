/**
 * TEST SHIM, not a product part: a Node.js language host for the real-engine tier.
 *
 * The only Node.js language host the Go module proxy serves is the one in sdk/v3 v3.68.0, and it answers
 * `RunPlugin` with "not supported". CLI v3.276.0 (as v3.259.0 did) starts a Node.js policy pack through
 * `RunPlugin`, so `pulumi preview --policy-pack policy` cannot start the pack with that host alone.
 *
 * This shim stands where the CLI looks for `pulumi-language-nodejs`. It starts the real v3.68.0 host with
 * the same arguments, forwards every LanguageRuntime call to it byte for byte, and implements `RunPlugin`
 * itself the way newer hosts do: it runs `@pulumi/pulumi/cmd/run-policy-pack` (an analyzer) or
 * `@pulumi/pulumi/cmd/run-plugin` (any other plugin) from the plugin's directory with the engine address,
 * and streams the process's stdout, stderr and exit code back. It also passes Pulumi.yaml's runtime
 * options (`typescript`, `nodeargs`) as that host's flags, as the CLI once did.
 *
 *   LOCKSTEP_REAL_LANGUAGE_HOST=<path to the v3.68.0 binary> node --import tsx languageHostShim.ts <args...>
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { LanguageRuntimeService } from "@pulumi/pulumi/proto/language_grpc_pb";
import { RunPluginRequest, RunPluginResponse } from "@pulumi/pulumi/proto/language_pb";
import { parse as parseYaml } from "yaml";

const realHost = process.env.LOCKSTEP_REAL_LANGUAGE_HOST;
if (!realHost) {
  process.stderr.write(
    "languageHostShim: LOCKSTEP_REAL_LANGUAGE_HOST must name the real pulumi-language-nodejs binary\n",
  );
  process.exit(2);
}

const identity = (b: Buffer) => b;
type MethodDefinition = { path: string; requestStream: boolean; responseStream: boolean };
const methods = LanguageRuntimeService as unknown as Record<string, MethodDefinition>;

/** Starts the real host and resolves the port it prints on its first stdout line. */
function startRealHost(args: string[]): Promise<{ child: ChildProcess; port: string }> {
  const child = spawn(realHost as string, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (port) => resolve({ child, port: port.trim() }));
    child.once("exit", (code) =>
      reject(new Error(`the real language host exited with ${code} before printing its port`)),
    );
  });
}

/** Runs the plugin program the way newer Node.js hosts do, streaming its output as RunPluginResponses. */
function runPlugin(call: grpc.ServerWritableStream<RunPluginRequest, RunPluginResponse>): void {
  const req = call.request;
  const info = req.getInfo();
  const dir = info?.getProgramDirectory() || req.getPwd();
  const runner = req.getKind() === "analyzer" ? "run-policy-pack" : "run-plugin";
  let script: string;
  try {
    script = require.resolve(`@pulumi/pulumi/cmd/${runner}`, { paths: [dir] });
  } catch {
    call.emit("error", {
      code: grpc.status.FAILED_PRECONDITION,
      details: `could not find @pulumi/pulumi/cmd/${runner} from ${dir}; run npm install there`,
    });
    return;
  }
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const entry of req.getEnvList()) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const child = spawn(process.execPath, [script, ...req.getArgsList(), "."], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const send = (set: (r: RunPluginResponse) => void) => {
    const response = new RunPluginResponse();
    set(response);
    call.write(response);
  };
  child.stdout?.on("data", (chunk: Buffer) => send((r) => r.setStdout(new Uint8Array(chunk))));
  child.stderr?.on("data", (chunk: Buffer) => send((r) => r.setStderr(new Uint8Array(chunk))));
  child.once("close", (code) => {
    send((r) => r.setExitcode(code ?? 1));
    call.end();
  });
  call.once("cancelled", () => child.kill("SIGTERM"));
}

/**
 * Pulumi.yaml's runtime options as the v3.68.0 host's flags. Newer CLIs send them in each call's
 * ProgramInfo, which that host never reads, so without this it ignored `typescript: false` and loaded
 * ts-node, with its own source mapper, into every program run (0.4 s of one measured up).
 */
function runtimeOptionFlags(projectDir: string): string[] {
  const file = path.join(projectDir, "Pulumi.yaml");
  if (!fs.existsSync(file)) return [];
  const runtime = (parseYaml(fs.readFileSync(file, "utf8")) as { runtime?: unknown }).runtime;
  const options = (typeof runtime === "object" && runtime && "options" in runtime ? runtime.options : {}) as {
    typescript?: boolean;
    nodeargs?: string;
  };
  return [
    ...(options.typescript === false ? ["-typescript=false"] : []),
    ...(options.nodeargs ? [`-nodeargs=${options.nodeargs}`] : []),
  ];
}

async function main(): Promise<void> {
  const { child, port } = await startRealHost([...runtimeOptionFlags(process.cwd()), ...process.argv.slice(2)]);
  const stop = () => {
    if (child.exitCode === null) child.kill("SIGTERM");
  };
  process.once("exit", stop);
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.once(signal, () => {
      stop();
      process.exit(0);
    });
  child.once("exit", (code) => process.exit(code ?? 0));

  const upstream = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
  });
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
  });
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(methods)) {
    if (name === "runPlugin") {
      definition[name] = method as unknown as grpc.MethodDefinition<unknown, unknown>;
      implementation[name] = runPlugin as grpc.UntypedHandleCall;
      continue;
    }
    // Everything else passes through untouched: bytes in, bytes out.
    definition[name] = {
      ...method,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    } as unknown as grpc.MethodDefinition<unknown, unknown>;
    implementation[name] = method.responseStream
      ? (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          const stream = upstream.makeServerStreamRequest(method.path, identity, identity, call.request, call.metadata);
          stream.on("data", (b: Buffer) => call.write(b));
          stream.on("error", (e: grpc.ServiceError) => call.emit("error", e));
          stream.on("end", () => call.end());
          call.once("cancelled", () => stream.cancel());
        }
      : (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          upstream.makeUnaryRequest(method.path, identity, identity, call.request, call.metadata, (err, value) =>
            callback(err, value),
          );
        };
  }
  server.addService(definition, implementation);
  const shimPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  process.stdout.write(`${shimPort}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`languageHostShim (${path.basename(__filename)}): ${(err as Error).message}\n`);
  process.exit(1);
});
