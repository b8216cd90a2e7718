/**
 * The worker-thread side of test/programWorkerClient.ts: runs the program for each request, one at a
 * time (Pulumi's runtime state is global to a thread), and answers with the run or the error.
 */
import { parentPort } from "node:worker_threads";
import type { ProgramInputs } from "../lib/config/inputs";
import { runProgramHere } from "../plan/runtime";

export interface RunRequest {
  id: number;
  stack: string;
  inputs: ProgramInputs;
  config: Record<string, string>;
  secretKeys: readonly string[];
}

/** An error as it crosses threads: its own enumerable fields (such as `registrations`) go along. */
export interface SentError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
}

const port = parentPort;
if (!port) throw new Error("test/programWorker.ts runs in a worker thread (test/programWorkerClient.ts starts it)");

let queue: Promise<void> = Promise.resolve();
port.on("message", (req: RunRequest) => {
  queue = queue.then(async () => {
    try {
      port.postMessage({ id: req.id, run: await runProgramHere(req.stack, req.inputs, req.config, req.secretKeys) });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const sent: SentError = {
        name: e.name,
        message: e.message,
        stack: e.stack,
        fields: JSON.parse(JSON.stringify({ ...e })) as Record<string, unknown>,
      };
      port.postMessage({ id: req.id, error: sent });
    }
  });
});
