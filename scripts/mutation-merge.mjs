// `node scripts/mutation-merge.mjs <out.json> <batch.json>...`: one Stryker incremental report from runs
// over batches of whole files (a folder too long for one sitting, like lib/). Test ids are renumbered onto
// one list keyed by test file and name, and every mutant's coveredBy and killedBy is rewritten through it;
// a file in a later batch replaces the same file from an earlier one. Prints the merged score.
import { readFileSync, writeFileSync } from "node:fs";

const [out, ...batches] = process.argv.slice(2);
if (!out || batches.length === 0) {
  console.error("usage: node scripts/mutation-merge.mjs <out.json> <batch.json>...");
  process.exit(2);
}
const ids = new Map();
const testFiles = {};
const files = {};
let merged;
for (const batch of batches) {
  const report = JSON.parse(readFileSync(batch, "utf8"));
  merged ??= report;
  const local = new Map();
  for (const [file, { tests, source }] of Object.entries(report.testFiles ?? {})) {
    testFiles[file] ??= { tests: [], source };
    for (const test of tests) {
      const key = `${file}\0${test.name}`;
      if (!ids.has(key)) {
        ids.set(key, String(ids.size));
        testFiles[file].tests.push({ ...test, id: ids.get(key) });
      }
      local.set(test.id, ids.get(key));
    }
  }
  for (const [path, file] of Object.entries(report.files)) {
    for (const mutant of file.mutants)
      for (const field of ["coveredBy", "killedBy"])
        if (Array.isArray(mutant[field]))
          mutant[field] = mutant[field].filter((t) => local.has(t)).map((t) => local.get(t));
    files[path] = file;
  }
}
writeFileSync(out, JSON.stringify({ ...merged, files, testFiles }));
const count = {};
for (const file of Object.values(files)) for (const m of file.mutants) count[m.status] = (count[m.status] ?? 0) + 1;
const killed = (count.Killed ?? 0) + (count.Timeout ?? 0);
const lived = (count.Survived ?? 0) + (count.NoCoverage ?? 0);
console.log(
  `${Object.keys(files).length} files, ${JSON.stringify(count)}: ${((100 * killed) / (killed + lived)).toFixed(1)} %`,
);
