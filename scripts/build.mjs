// Transpiles the TypeScript sources (not the tests) to CommonJS under bin/ with esbuild.
// `npm run plan` calls it with --if-stale: it rebuilds whenever any source is newer than the last build,
// so the plan never runs stale code. Type checking is `npm run typecheck` (tsc), which `npm test` runs.
import { build } from "esbuild";
import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const SOURCES = ["index.ts", "program.ts", "components", "lib", "plan", "cli", "policy/policies"];

function collect(path) {
  const full = join(root, path);
  if (statSync(full).isFile()) return [full];
  return readdirSync(full)
    .flatMap((name) => collect(join(path, name)))
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
}

const entryPoints = SOURCES.flatMap(collect);
const stamp = join(root, "bin", ".build-stamp");
const builtAt = (() => {
  try {
    return statSync(stamp).mtimeMs;
  } catch {
    return 0;
  }
})();
const newest = Math.max(
  ...entryPoints.map((f) => statSync(f).mtimeMs),
  statSync(fileURLToPath(import.meta.url)).mtimeMs,
);
if (process.argv.includes("--if-stale") && builtAt > newest) process.exit(0);
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
