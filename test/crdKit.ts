/** CRD validation for tests: the real CRDs from ../shared, compiled strict (a misspelt field fails). */
import Ajv, { ValidateFunction } from "ajv";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { requireShared } from "./helpers";

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function ajv(): Ajv {
  // Kubernetes schemas carry x-kubernetes-* keywords and int32/int64 formats that are not JSON Schema.
  return new Ajv({ strict: false, allErrors: true, validateFormats: false });
}

/**
 * The API server prunes fields a structural schema does not declare, silently: a misspelt field would
 * validate and then vanish. So every object schema that declares its properties (and does not preserve
 * unknown fields) refuses any other, making a typo a failure here.
 */
export function strict(schema: Loose): Loose {
  if (!schema || typeof schema !== "object") return schema;
  const out: Loose = Array.isArray(schema) ? schema.map(strict) : Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, strict(v)]));
  if (!Array.isArray(schema) && schema.type === "object" && schema.properties && schema.additionalProperties === undefined && !schema["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

/** Validators by Pulumi type token, `kubernetes:<group>/<version>:<Kind>`, for every CRD version in ../shared/crds. */
export function loadCrdValidators(include: (file: string) => boolean = () => true): Map<string, ValidateFunction> {
  const validators = new Map<string, ValidateFunction>();
  const compiler = ajv();
  const crds = requireShared("crds");
  for (const file of fs.readdirSync(crds).filter((f) => f.endsWith(".yaml") && include(f))) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(crds, file), "utf8"))) {
      const crd = doc.toJSON() as Loose | null;
      if (crd?.kind !== "CustomResourceDefinition") continue;
      for (const version of crd.spec.versions) {
        validators.set(`kubernetes:${crd.spec.group}/${version.name}:${crd.spec.names.kind}`, compiler.compile(strict(version.schema.openAPIV3Schema)));
      }
    }
  }
  return validators;
}

