/**
 * Plan benchmark: wall time of the staging plan as a user runs it (a fresh `node` process per run),
 * with the shipped catalog and with the catalog copied to 100 versions. Prints figures; asserts nothing
 * about time (performance targets live here, not in tests).
 *
 *   npm run bench [-- --runs 9]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CATALOG_DIR, loadCatalog } from "../../lib/release/catalog";
import { PROJECT_ROOT } from "../../lib/core/paths";

const { values } = parseArgs({ options: { runs: { type: "string", default: "9" } } });
const runs = Number(values.runs);

/** Copies the shipped catalog and adds synthetic 3.x releases until it holds `size` versions. */
function syntheticCatalog(size: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-bench-catalog-"));
  for (const f of fs.readdirSync(DEFAULT_CATALOG_DIR))
    fs.copyFileSync(path.join(DEFAULT_CATALOG_DIR, f), path.join(dir, f));
  const template = fs.readFileSync(path.join(DEFAULT_CATALOG_DIR, "2.0.0.yaml"), "utf8");
  for (let i = 0; fs.readdirSync(dir).length < size; i++) {
    const version = `3.${Math.floor(i / 10)}.${i % 10}`;
    fs.writeFileSync(
      path.join(dir, `${version}.yaml`),
      template.replaceAll("2.0.0", version).replace('upgradeFrom: [">=1.5.0 <2.0.0"]', 'upgradeFrom: [">=2.0.0"]'),
    );
  }
  return dir;
}

function time(args: string[]): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "cli", "lockstep.js"), "plan", ...args], {
      encoding: "utf8",
    });
    samples.push(performance.now() - started);
    if (r.status !== 0) throw new Error(`plan ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return samples.sort((a, b) => a - b);
}

const fmt = (s: number[]) =>
  `min ${s[0].toFixed(0)} ms  median ${s[Math.floor(s.length / 2)].toFixed(0)} ms  max ${s[s.length - 1].toFixed(0)} ms`;

const big = syntheticCatalog(100);
const loadStarted = performance.now();
const loaded = loadCatalog(big);
const loadMs = performance.now() - loadStarted;
console.log(`lockstep plan benchmark: ${runs} runs each, node ${process.version}, ${os.cpus().length} cpus`);
console.log(
  `  staging, shipped catalog (${loadCatalog(DEFAULT_CATALOG_DIR).versions.length} versions): ${fmt(time(["--stack", "staging", "--json"]))}`,
);
console.log(
  `  staging, catalog of ${loaded.versions.length} versions:           ${fmt(time(["--stack", "staging", "--json", "--catalog", big]))}`,
);
console.log(`  prod, shipped catalog:                         ${fmt(time(["--stack", "prod", "--json"]))}`);
console.log(`  loading + validating the ${loaded.versions.length}-version catalog in-process: ${loadMs.toFixed(0)} ms`);
fs.rmSync(big, { recursive: true, force: true });
