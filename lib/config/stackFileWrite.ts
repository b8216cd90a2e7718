/**
 * Writing a stack file without losing another writer's change. Every writer takes an exclusive lock
 * beside the file (`Pulumi.<stack>.yaml.lock`, created with O_EXCL), re-reads the file under it, and
 * writes only when the file is still the text the command planned from; the new text goes to a temp file
 * that is renamed over the old one, so a reader never sees half a file. A second writer waits for the
 * lock a few seconds, then fails with one line naming it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LockstepInputError } from "../core/errors";

export interface StackFileWriteOptions {
  /** How long to wait for another writer's lock. @default 10000 */
  waitMs?: number;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Whether the process that wrote a lock file still runs (a lock left by a killed command is stale). */
function holderAlive(lock: string): boolean {
  const pid = Number(fs.readFileSync(lock, "utf8").split(" ")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function acquire(lock: string, waitMs: number): void {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid} ${new Date().toISOString()}\n`, { flag: "wx" });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let alive = true;
    try {
      alive = holderAlive(lock);
    } catch {
      continue; // released between the two calls
    }
    if (!alive) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new LockstepInputError(
        `${lock}: another lockstep command is writing ${path.basename(lock, ".lock")} (${fs.readFileSync(lock, "utf8").trim()}); nothing was written; run this one again when it is done`,
      );
    sleep(100);
  }
}

/**
 * Replaces `file`'s text `planned` (what the command read and planned from) with `next`. Refuses, writing
 * nothing, when the file changed since it was read.
 */
export function commitStackFile(
  file: string,
  planned: string,
  next: string,
  options: StackFileWriteOptions = {},
): void {
  const lock = `${file}.lock`;
  acquire(lock, options.waitMs ?? 10_000);
  try {
    const now = fs.readFileSync(file, "utf8");
    if (now !== planned)
      throw new LockstepInputError(
        `${file}: changed since this command read it (another command wrote it meanwhile); nothing was written; run it again to plan from what the file holds now`,
      );
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    fs.writeFileSync(temp, next);
    fs.renameSync(temp, file);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
