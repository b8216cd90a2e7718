/**
 * A ProgramRunner (plan/runtime.ts) that runs the program in one worker thread per test process, started
 * on the first run. The worker loads the program through tsx as the tests do; its runs are the same
 * function of the same inputs, which cross as structured clones (Maps and Sets included).
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { ProgramInputs } from "../lib/config/inputs";
import { LockstepInputError } from "../lib/core/errors";
import type { ProgramRun, ProgramRunner } from "../plan/runtime";
import type { RunRequest, SentError } from "./programWorker";

/** The error the program threw in the worker, as this thread would have seen it (its class where it is ours). */
function rebuild(sent: SentError): Error {
  const err = sent.name === "LockstepInputError" ? new LockstepInputError(sent.message) : new Error(sent.message);
  err.name = sent.name;
  if (sent.stack) err.stack = sent.stack;
  return Object.assign(err, sent.fields);
}

export function programWorker(): ProgramRunner {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (run: ProgramRun) => void; reject: (err: Error) => void }>();

  function start(): Worker {
    // execArgv empty: not the test runner's flags, and not this preload again (a worker would start a worker).
    const w = new Worker(`require("tsx/cjs"); require(${JSON.stringify(path.join(__dirname, "programWorker.ts"))});`, {
      eval: true,
      execArgv: [],
    });
    w.on("message", (msg: { id: number; run?: ProgramRun; error?: SentError }) => {
      const waiting = pending.get(msg.id);
      if (!waiting) return;
      pending.delete(msg.id);
      if (msg.error) waiting.reject(rebuild(msg.error));
      else waiting.resolve(msg.run as ProgramRun);
      // Idle, it must not keep the test process alive.
      if (pending.size === 0) w.unref();
    });
    const failAll = (err: Error) => {
      for (const { reject } of pending.values()) reject(err);
      pending.clear();
      worker = undefined;
    };
    w.on("error", (err) => failAll(new Error(`the program worker thread failed: ${err.message}`)));
    w.on("exit", (code) => failAll(new Error(`the program worker thread exited ${code}`)));
    return w;
  }

  return (stack: string, inputs: ProgramInputs, config: Record<string, string>, secretKeys: readonly string[]) =>
    new Promise<ProgramRun>((resolve, reject) => {
      worker ??= start();
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.ref();
      const req: RunRequest = { id, stack, inputs, config, secretKeys };
      try {
        worker.postMessage(req);
      } catch (err) {
        // Inputs that cannot be cloned (a function, a class instance with private state) never reach the worker.
        pending.delete(id);
        if (pending.size === 0) worker.unref();
        reject(
          new Error(`the program worker thread cannot take the inputs of stack ${stack}: ${(err as Error).message}`),
        );
      }
    });
}
