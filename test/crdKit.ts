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
  const out: Loose = Array.isArray(schema)
    ? schema.map(strict)
    : Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, strict(v)]));
  if (
    !Array.isArray(schema) &&
    schema.type === "object" &&
    schema.properties &&
    schema.additionalProperties === undefined &&
    !schema["x-kubernetes-preserve-unknown-fields"]
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * The CRD documents of one file as JSON. Parsing the CRD YAML (CloudNativePG's Cluster alone is over a
 * megabyte) was a tenth of the conformance suite's CPU, so the JSON is kept under node_modules/.cache,
 * keyed by the file's size and modification time: an edited CRD is parsed again.
 */
function crdDocuments(file: string): Loose[] {
  const stat = fs.statSync(file);
  const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "lockstep", "crds");
  const cached = path.join(cacheDir, `${path.basename(file)}.${stat.size}.${Math.trunc(stat.mtimeMs)}.json`);
  if (fs.existsSync(cached)) return JSON.parse(fs.readFileSync(cached, "utf8")) as Loose[];
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"))
    .map((d) => d.toJSON() as Loose | null)
    .filter((d): d is Loose => d?.kind === "CustomResourceDefinition");
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(cached, JSON.stringify(docs));
  return docs;
}

/**
 * Validators by Pulumi type token, `kubernetes:<group>/<version>:<Kind>`, for every CRD version in
 * ../shared/crds. Each schema is compiled on its first `get`: the suites use a handful of the 40-odd
 * versions, and compiling them all was over a quarter of the conformance suite's CPU.
 */
export function loadCrdValidators(include: (file: string) => boolean = () => true): CrdValidators {
  const schemas = new Map<string, Loose>();
  const crds = requireShared("crds");
  for (const file of fs.readdirSync(crds).filter((f) => f.endsWith(".yaml") && include(f))) {
    for (const crd of crdDocuments(path.join(crds, file))) {
      for (const version of crd.spec.versions)
        schemas.set(
          `kubernetes:${crd.spec.group}/${version.name}:${crd.spec.names.kind}`,
          version.schema.openAPIV3Schema,
        );
    }
  }
  return new CrdValidators(schemas);
}

/** The schemas a suite can look up, each compiled (strict) the first time it is asked for. */
export class CrdValidators {
  private readonly compiler = ajv();
  private readonly compiled = new Map<string, ValidateFunction>();
  constructor(private readonly schemas: ReadonlyMap<string, Loose>) {}
  has(type: string): boolean {
    return this.schemas.has(type);
  }
  get(type: string): ValidateFunction | undefined {
    const schema = this.schemas.get(type);
    if (schema && !this.compiled.has(type)) this.compiled.set(type, this.compiler.compile(strict(schema)));
    return this.compiled.get(type);
  }
}
