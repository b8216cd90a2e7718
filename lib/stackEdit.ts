/**
 * Edits `Pulumi.<stack>.yaml` in place through the YAML document model, so comments, blank lines and the
 * order of keys lockstep does not own survive. Pure: text in, text out.
 */
import { isMap, parseDocument } from "yaml";
import { LockstepInputError } from "./errors";
import { NAMESPACE } from "./config";

/** Sets (or, with `undefined`, removes) `lockstep:<key>` values under `config:`. */
export function editStackConfig(file: string, text: string, updates: Record<string, unknown>): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new LockstepInputError(`${file}: not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  if (!isMap(doc.get("config"))) throw new LockstepInputError(`${file}: field config must be a map of keys to values`);
  for (const [key, value] of Object.entries(updates)) {
    const path = ["config", `${NAMESPACE}:${key}`];
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, doc.createNode(value));
  }
  return doc.toString();
}

/** A unified-style line diff (LCS), enough to show what a stack-file edit changes. */
export function lineDiff(before: string, after: string): string {
  const a = before.split("\n");
  const b = after.split("\n");
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { i++; j++; continue; }
    if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out.join("\n");
}
