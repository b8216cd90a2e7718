// The program the Pulumi CLI runs (package.json "main"): index.ts as esbuild compiled it to bin/, rebuilt
// first whenever a source is newer than the last build, so `pulumi up` never runs stale code. Under
// ts-node, which the CLI would otherwise use and which type-checks the whole program on every run, the
// program took 3.8 s to load here; compiled, 0.5 s. The types are checked by `npm run typecheck` (in
// `npm test` and CI) instead.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

execFileSync(process.execPath, [path.join(__dirname, "build.mjs"), "--quiet", "--if-stale"], { stdio: "inherit" });
module.exports = require("../bin/index.js");
