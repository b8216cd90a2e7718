// A node:test reporter for `npm test` (scripts/test.mjs): how long each test file's top-level tests took,
// as one JSON object { "<file>": milliseconds }, written to its destination when the run ends. The next
// `npm test` balances its shards with these times.
import { relative } from "node:path";

export default async function* testTimes(source) {
  const times = {};
  for await (const event of source) {
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0 && event.data.file) {
      const file = relative(process.cwd(), event.data.file);
      times[file] = (times[file] ?? 0) + (event.data.details?.duration_ms ?? 0);
    }
  }
  yield `${JSON.stringify(times)}\n`;
}
