/**
 * Startup speed for the offline plan. `@pulumi/pulumi` loads TypeScript and npm's arborist eagerly for
 * closure serialization (dynamic providers), which the plan never does; they are most of its start time.
 * This defers those modules until first use: a property read loads the real module, so behaviour is
 * unchanged if the SDK ever needs them. Only requests made from inside @pulumi/pulumi are deferred.
 *
 * Importing this module installs the hook, so an entry point imports it before anything else
 * (imports are evaluated in order; a call after the imports would run too late).
 */
import Module from "node:module";
import * as path from "node:path";

const DEFERRED = new Set(["typescript", "@npmcli/arborist", "normalize-package-data"]);
const SDK_DIR = `${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };

let installed = false;
export function deferHeavySdkModules(): void {
  if (installed) return;
  installed = true;
  const original = loader._load;
  loader._load = function deferringLoad(this: unknown, request, parent, isMain) {
    if (!DEFERRED.has(request) || !parent?.filename?.includes(SDK_DIR))
      return original.call(this, request, parent, isMain);
    let real: Record<PropertyKey, unknown> | undefined;
    const load = () => (real ??= original.call(this, request, parent, isMain) as Record<PropertyKey, unknown>);
    // Claims to be an ES module so the SDK's __importStar/__importDefault helpers do not enumerate it
    // (which would load it); `default` then maps to the CommonJS export itself.
    return new Proxy(
      {},
      {
        get: (_t, key) => {
          if (key === "__esModule") return true;
          const mod = load();
          return key === "default" && !("default" in mod) ? mod : mod[key];
        },
        has: (_t, key) => key in load(),
      },
    );
  };
}

deferHeavySdkModules();
