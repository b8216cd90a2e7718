/**
 * Golden files: what a command prints for a person, compared line for line with a reviewed file in
 * test/fixtures/golden/. A changed output fails with the first differing line; after reviewing the
 * change, LOCKSTEP_UPDATE_GOLDEN=1 rewrites the files (and the test still fails, so an update never
 * passes unreviewed in the same run).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT } from "./helpers";

const GOLDEN = path.join(PROJECT, "test", "fixtures", "golden");

/** Compares `text` with test/fixtures/golden/<name>.txt; `dir` (a temporary project) is written as <project>. */
export function golden(name: string, text: string, dir?: string): void {
  const file = path.join(GOLDEN, `${name}.txt`);
  const stable = (dir ? text.split(dir).join("<project>") : text).replace(/\s+$/, "") + "\n";
  if (process.env.LOCKSTEP_UPDATE_GOLDEN === "1") {
    fs.writeFileSync(file, stable);
    assert.fail(`wrote ${path.relative(PROJECT, file)}: review it, then run again without LOCKSTEP_UPDATE_GOLDEN`);
  }
  if (!fs.existsSync(file))
    assert.fail(`no golden file ${path.relative(PROJECT, file)}: write it with LOCKSTEP_UPDATE_GOLDEN=1 and review it`);
  const want = fs.readFileSync(file, "utf8").split("\n");
  const got = stable.split("\n");
  const at = got.findIndex((line, i) => line !== want[i]);
  if (at >= 0 || got.length !== want.length) {
    const line = at >= 0 ? at : Math.min(got.length, want.length);
    assert.fail(
      `${name}: line ${line + 1} differs from ${path.relative(PROJECT, file)}\n  want: ${JSON.stringify(want[line])}\n  got:  ${JSON.stringify(got[line])}`,
    );
  }
}
