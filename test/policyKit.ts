/** Policy test helpers: a happy path from the real program, changed one field at a time, judged by one policy. */
import assert from "node:assert/strict";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { ReleaseRecordData } from "../lib/state/record";
import { evaluatePolicy, toPolicyResources } from "../plan/policyRunner";
import type { RecordedResource } from "../plan/runtime";

export type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** A deep copy of `base` with `change` applied to the props of the resource named `name`. */
export function edit(base: RecordedResource[], name: string, change: (props: Loose) => void): RecordedResource[] {
  const copy = structuredClone(base);
  const target = copy.find((r) => r.name === name);
  if (!target) throw new Error(`no resource ${name}`);
  change(target.props);
  return copy;
}
/** `base` plus a copy of `template` under a new name and URN, changed by `change`. */
export function withCopy(
  base: RecordedResource[],
  template: string,
  name: string,
  change: (r: RecordedResource) => void = () => undefined,
): RecordedResource[] {
  const copy = structuredClone(base);
  const source = copy.find((r) => r.name === template);
  if (!source) throw new Error(`no resource ${template}`);
  const added: RecordedResource = {
    ...structuredClone(source),
    name,
    urn: source.urn.replace(/::[^:]+$/, `::${name}`),
  };
  const props = added.props as Loose;
  if (props.metadata?.name) props.metadata.name = name;
  change(added);
  return [...copy, added];
}

export const without = (base: RecordedResource[], ...names: string[]) =>
  structuredClone(base).filter((r) => !names.includes(r.name));
export const editRecord = (base: RecordedResource[], change: (r: ReleaseRecordData) => void) =>
  edit(base, "lockstep-release", (p) => {
    const r = JSON.parse(p.data["release.json"]) as ReleaseRecordData;
    change(r);
    p.data["release.json"] = JSON.stringify(r);
  });
export const container = (change: (c: Loose) => void) => (p: Loose) => change(p.spec.template.spec.containers[0]);

export async function check(policy: Policy, resources: RecordedResource[], config: Record<string, unknown> = {}) {
  return evaluatePolicy(
    policy,
    toPolicyResources(resources),
    Object.keys(config).length ? { [policy.name]: config } : {},
  );
}
export async function passes(policy: Policy, resources: RecordedResource[], config?: Record<string, unknown>) {
  const v = await check(policy, resources, config);
  assert.deepEqual(
    v.map((x) => x.message),
    [],
    `${policy.name} should pass`,
  );
}
export async function fails(
  policy: Policy,
  resources: RecordedResource[],
  message: RegExp,
  config?: Record<string, unknown>,
) {
  const v = await check(policy, resources, config);
  assert.ok(
    v.some((x) => message.test(x.message)),
    `${policy.name} should report ${message}; got ${JSON.stringify(v.map((x) => x.message))}`,
  );
  assert.ok(v.every((x) => x.policy === policy.name && x.level === "mandatory"));
}
/** The messages `policy` reports on `resources`, in order. */
export async function messages(
  policy: Policy,
  resources: RecordedResource[],
  config?: Record<string, unknown>,
): Promise<string[]> {
  return (await check(policy, resources, config)).map((v) => v.message);
}
