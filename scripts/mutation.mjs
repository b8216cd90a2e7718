// `npm run test:mutation`: StrykerJS over lib/, policy/, components/ and cli/, one folder at a
// time, each with its own incremental file under test/mutation/incremental/ (committed), so a re-run only
// tests mutants whose code or covering tests changed. Prints the score per folder from those files.
//
//   npm run test:mutation                      every folder (hours on two cores the first time; see docs/testing.md)
//   npm run test:mutation -- lib policy        those folders
//   npm run test:mutation -- --changed main    only the files in scope changed since main (CI on PRs)
//   npm run test:mutation -- --report          the table from the committed results, no run
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
/** Each folder's name on the command line, and the directory whose .ts files it mutates. */
const FOLDERS = { lib: "lib", policy: "policy/policies", components: "components", cli: "cli" };
const glob = (folder) => `${FOLDERS[folder]}/**/*.ts`;
const INCREMENTAL = join(root, "test", "mutation", "incremental");
const incrementalFile = (folder) => join(INCREMENTAL, `${folder.replace("/", "-")}.json`);

function fail(message) {
  console.error(`test:mutation: ${message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const changedAt = args.indexOf("--changed");
const reportOnly = args.includes("--report");
for (const a of args)
  if (a.startsWith("--") && a !== "--changed" && a !== "--report")
    fail(`unknown option ${a}; allowed: --changed <git ref>, --report, and folder names`);
const folders = args.filter((a, i) => !a.startsWith("--") && (changedAt < 0 || i !== changedAt + 1));
for (const f of folders)
  if (!(f in FOLDERS)) fail(`unknown folder ${JSON.stringify(f)}; allowed: ${Object.keys(FOLDERS).join(", ")}`);

const shared = resolve(process.env.LOCKSTEP_SHARED ?? join(root, "..", "shared"));
if (!reportOnly && !existsSync(shared))
  fail(
    `../shared is absent: ${shared} does not exist; the suites under mutation read the real CRDs and charts from it (set LOCKSTEP_SHARED to another place)`,
  );

function stryker(mutate, incremental) {
  const r = spawnSync(
    process.execPath,
    [
      join(root, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js"),
      "run",
      "--mutate",
      mutate.join(","),
      "--incrementalFile",
      incremental,
    ],
    {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, LOCKSTEP_SHARED: shared },
    },
  );
  if (r.status !== 0) fail(`stryker exited ${r.status} on ${mutate.join(", ")}`);
}

if (changedAt >= 0) {
  const base = args[changedAt + 1];
  if (!base || base.startsWith("--")) fail("--changed needs a git ref to compare with, like --changed origin/main");
  const diff = spawnSync("git", ["diff", "--name-only", "--diff-filter=AMR", `${base}...HEAD`], {
    cwd: root,
    encoding: "utf8",
  });
  if (diff.status !== 0) fail(`git diff against ${JSON.stringify(base)} failed: ${diff.stderr.trim()}`);
  const inScope = (f) =>
    f.endsWith(".ts") && !f.endsWith(".d.ts") && Object.values(FOLDERS).some((dir) => f.startsWith(`${dir}/`));
  const changed = diff.stdout.split("\n").filter(inScope);
  if (changed.length === 0) {
    console.log(
      `test:mutation: no file under ${Object.keys(FOLDERS).join(", ")} changed since ${base}; nothing to mutate`,
    );
    process.exit(0);
  }
  console.log(`test:mutation: ${changed.length} changed file(s) since ${base}: ${changed.join(", ")}`);
  // Its own incremental file (not committed): a run over a few files must not replace a folder's results.
  stryker(changed, join(root, "reports", "mutation", "changed-incremental.json"));
  process.exit(0);
}

if (!reportOnly) {
  mkdirSync(INCREMENTAL, { recursive: true });
  for (const folder of folders.length > 0 ? folders : Object.keys(FOLDERS)) {
    console.log(`\n== mutating ${folder} (${glob(folder)})`);
    stryker([glob(folder)], incrementalFile(folder));
  }
}

// Stryker's definition: killed and timed-out mutants over all valid ones (ignored and compile errors excluded).
const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);
/** The .ts sources a folder's glob covers, to say how much of the folder a result holds. */
function sourcesIn(folder) {
  return readdirSync(join(root, FOLDERS[folder]), { recursive: true }).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".d.ts"),
  ).length;
}

const rows = [];
const total = { detected: 0, undetected: 0, noCoverage: 0, ignored: 0 };
for (const folder of Object.keys(FOLDERS)) {
  const file = incrementalFile(folder);
  if (!existsSync(file)) {
    rows.push([folder, "not run yet", "", "", "", "", `0 of ${sourcesIn(folder)}`]);
    continue;
  }
  const report = JSON.parse(readFileSync(file, "utf8"));
  const counts = { detected: 0, undetected: 0, noCoverage: 0, ignored: 0 };
  for (const source of Object.values(report.files)) {
    for (const m of source.mutants) {
      if (DETECTED.has(m.status)) counts.detected++;
      else if (UNDETECTED.has(m.status)) counts.undetected++;
      else counts.ignored++;
      if (m.status === "NoCoverage") counts.noCoverage++;
    }
  }
  for (const k of Object.keys(counts)) total[k] += counts[k];
  const score = (100 * counts.detected) / Math.max(1, counts.detected + counts.undetected);
  rows.push([
    folder,
    `${score.toFixed(1)} %`,
    String(counts.detected),
    String(counts.undetected),
    String(counts.noCoverage),
    String(counts.ignored),
    `${Object.keys(report.files).length} of ${sourcesIn(folder)}`,
  ]);
}
const overall = (100 * total.detected) / Math.max(1, total.detected + total.undetected);
rows.push([
  "overall (files run)",
  `${overall.toFixed(1)} %`,
  String(total.detected),
  String(total.undetected),
  String(total.noCoverage),
  String(total.ignored),
  "",
]);
const head = [
  "folder",
  "score",
  "killed or timed out",
  "survived or no coverage",
  "of which no coverage",
  "ignored / compile error",
  "files run",
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
console.log("\nmutation score (killed + timed out, over valid mutants), from test/mutation/incremental/:");
console.log(line(head));
for (const r of rows) console.log(line(r));
