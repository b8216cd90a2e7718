// Transpiles the TypeScript sources (not the tests) to CommonJS under bin/ with esbuild.
// `npm run plan` calls it with --if-stale: it rebuilds whenever any source is newer than the last build,
// so the plan never runs stale code. Type checking is `npm run typecheck` (tsc), which `npm test` runs.
import { build } from "esbuild";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { entryPoints: sourcesOf, isStale, stampOf } = createRequire(import.meta.url)("./buildState.cjs");
const entryPoints = sourcesOf(root);
const stamp = stampOf(root);
if (process.argv.includes("--if-stale") && !isStale(root)) process.exit(0);
const started = performance.now();
// A full rebuild starts from an empty bin/, so a deleted or renamed source never leaves a stale file behind.
rmSync(join(root, "bin"), { recursive: true, force: true });
await build({
  entryPoints,
  outdir: join(root, "bin"),
  outbase: root,
  format: "cjs",
  platform: "node",
  target: "node22",
  sourcemap: "linked",
  logLevel: "warning",
});
writeFileSync(stamp, `${new Date().toISOString()}\n`);
if (!process.argv.includes("--quiet")) {
  console.error(
    `built ${entryPoints.length} files to ${relative(process.cwd(), join(root, "bin")) || "bin"} in ${(performance.now() - started).toFixed(0)} ms`,
  );
}
