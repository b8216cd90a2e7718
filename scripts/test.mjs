// `npm test`: the type check, the build, and the node:test suites, side by side on two cores.
//
// Each test shard is ONE process for its files (--test-isolation=none): loading @pulumi/pulumi, the
// Kubernetes SDK and the program cost about 2.5 s of CPU per process, paid once per file when every file
// had its own process (over half of the suite's CPU). The shards and the type check run at once.
//
//   npm test                          everything
//   npm test -- test/cli/plan.test.ts     only these files (one shard), after the type check and the build
import { spawn } from "node:child_process";
import { existsSync, globSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = process.argv.slice(2);
for (const f of files) {
  const problem = f.startsWith("-")
    ? `unknown option ${f}`
    : !existsSync(join(root, f))
      ? `no test file ${f} (paths are from the project root)`
      : null;
  if (problem) {
    console.error(`npm test: ${problem}; pass test files (test/x.test.ts) or nothing`);
    process.exit(2);
  }
}
const SHARDS = files.length > 0 ? 1 : 2;
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);

/** Runs `node <args>`; a live job streams its output, the others print theirs whole when they end. */
function job(name, args, { live }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const take = (stream, into) =>
      stream.on("data", (d) => {
        output += d;
        if (live) into.write(d);
      });
    take(child.stdout, process.stdout);
    take(child.stderr, process.stderr);
    child.on("close", (code, signal) => {
      if (!live && output) process.stdout.write(`\n== ${name} (output kept until it ended)\n${output}`);
      const counts = Object.fromEntries(
        [...output.matchAll(/^ℹ (pass|fail|skipped|todo|cancelled) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
      );
      resolve({ name, code: code ?? 1, signal, seconds: seconds(), counts });
    });
  });
}

const cache = join(root, "node_modules", ".cache", "lockstep");
mkdirSync(cache, { recursive: true });
// V8's code cache on disk for every Node process of the run, inherited by the ones the tests start (the
// CLI, the policy pack, the scripts): each of them loads the same large SDK modules, and compiling them is
// a good part of each start. Node checks each entry against the source, so a stale entry is never used.
process.env.NODE_COMPILE_CACHE ??= join(cache, "compile");
// The same check as `npm run typecheck`, started first: it runs beside the tests.
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const typecheck = job(
  "type check (tsc)",
  [tsc, "-p", "tsconfig.json", "--noEmit", "--incremental", "--tsBuildInfoFile", join(cache, "typecheck.tsbuildinfo")],
  { live: false },
);

const build = await job("build (esbuild to bin/)", [join(root, "scripts", "build.mjs"), "--quiet"], { live: true });
if (build.code !== 0) {
  console.error(`npm test: the build failed (exit ${build.code}); no test ran`);
  process.exit(1);
}

const timesFile = join(cache, "test-times.json");
/**
 * Seconds per file, measured on this machine on 2026-11-23 (a warm run of 833 tests), for a first run such
 * as CI's clean clone; every run then records its own (scripts/testTimes.mjs) and the next one balances
 * with those. A file not listed took under 0.4 s and counts as 0.3 s.
 */
const FIRST_RUN_SECONDS = {
  "test/policy/analyzer.test.ts": 8.8,
  "test/cli/badInput.test.ts": 4.6,
  "test/cli/plan.test.ts": 4.6,
  "test/plan/programWorker.test.ts": 3.2,
  "test/recovery/dayTwo.test.ts": 2.6,
  "test/cli/planCommand.test.ts": 2.3,
  "test/cli/scripts.test.ts": 2.1,
  "test/components/conformance.test.ts": 2.1,
  "test/cli/golden.test.ts": 1.7,
  "test/fleet/fleet.test.ts": 1.7,
  "test/cli/releaseFlow.test.ts": 1.5,
  "test/components/components.test.ts": 1.5,
  "test/mutationScript.test.ts": 1.3,
  "test/components/componentShapes.test.ts": 1.3,
  "test/config/cluster.test.ts": 1.2,
  "test/recovery/recovery.test.ts": 1.1,
  "test/cli/preflight.test.ts": 0.9,
  "test/policy/policies.test.ts": 0.7,
  "test/policy/policyEdges.test.ts": 0.7,
};
const recorded = existsSync(timesFile) ? JSON.parse(readFileSync(timesFile, "utf8")) : {};
const weight = (f) => (recorded[f] !== undefined ? recorded[f] / 1000 : (FIRST_RUN_SECONDS[f] ?? 0.3));

/** The heaviest file first, each to the lightest shard so far (longest-processing-time first). */
function balance(all, n) {
  const shards = Array.from({ length: n }, () => ({ files: [], seconds: 0 }));
  for (const f of [...all].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const lightest = shards.reduce((min, s) => (s.seconds < min.seconds ? s : min));
    lightest.files.push(f);
    lightest.seconds += weight(f);
  }
  return shards.map((s) => s.files.sort());
}

const all = files.length > 0 ? files : globSync("test/**/*.test.ts", { cwd: root }).sort();
const shards = balance(all, SHARDS).map((shardFiles, i) =>
  job(
    SHARDS > 1 ? `tests, shard ${i + 1} of ${SHARDS} (${shardFiles.length} files)` : "tests",
    [
      "--import",
      "tsx",
      "--import",
      join(root, "test", "planPreload.ts"),
      "--test",
      "--test-isolation=none",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      `--test-reporter=${join(root, "scripts", "testTimes.mjs")}`,
      `--test-reporter-destination=${join(cache, `test-times.${i}.json`)}`,
      ...shardFiles,
    ],
    // The first shard streams (progress); the second keeps its output, printed whole when it ends.
    { live: i === 0 },
  ),
);
const results = [await typecheck, ...(await Promise.all(shards))];

// Keep this run's times for the next run's balance (only files that ran are replaced).
const times = { ...recorded };
for (let i = 0; i < SHARDS; i++) {
  const shardTimes = join(cache, `test-times.${i}.json`);
  if (!existsSync(shardTimes)) continue;
  try {
    Object.assign(times, JSON.parse(readFileSync(shardTimes, "utf8")));
  } catch {
    // An interrupted shard leaves no complete record; the earlier times stand.
  }
  rmSync(shardTimes);
}
writeFileSync(timesFile, `${JSON.stringify(times, null, 2)}\n`);

console.log("\nnpm test:");
let failed = false;
for (const r of results) {
  const ok = r.code === 0;
  failed ||= !ok;
  const counts = Object.entries(r.counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  console.log(
    `  ${ok ? "ok  " : "FAIL"} ${r.name}${counts ? `: ${counts}` : ""} (ended at ${r.seconds} s${r.signal ? `, killed by ${r.signal}` : ok ? "" : `, exit ${r.code}`})`,
  );
}
console.log(`  wall time ${seconds()} s`);
process.exit(failed ? 1 : 0);
