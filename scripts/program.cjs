// The program the Pulumi CLI runs (package.json "main"): index.ts as esbuild compiled it to bin/, rebuilt
// first whenever a source is newer than the last build, so `pulumi up` never runs stale code. Under
// ts-node, which the CLI would otherwise use and which type-checks the whole program on every run, the
// program took 3.8 s to load here; compiled, 0.5 s. The types are checked by `npm run typecheck` (in
// `npm test` and CI) instead. Staleness is checked in this process; node runs build.mjs only to build.
const { execFileSync } = require("node:child_process");
const path = require("node:path");
const { isStale } = require("./buildState.cjs");

if (isStale(path.join(__dirname, "..")))
  execFileSync(process.execPath, [path.join(__dirname, "build.mjs"), "--quiet"], { stdio: "inherit" });
// V8's own stack formatting, not the source-mapped one the SDK's runner installs: the SDK captures a stack
// for every promise it makes (for its leak report); mapped through source maps, declaring the platform took
// 0.9 s here, formatted by V8 0.13 s. A crash's stack then names bin/*.js lines (their maps are beside them).
Error.prepareStackTrace = undefined;
module.exports = require("../bin/index.js");
