/**
 * Deep merge for Helm values: objects merge key by key, everything else (arrays included) is replaced,
 * matching how Helm layers `-f` files. Later layers win.
 */
export type Values = Record<string, unknown>;

function isPlainObject(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function deepMerge(...layers: (Values | undefined)[]): Values {
  const out: Values = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      const current = out[key];
      out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : structuredClone(value);
    }
  }
  return out;
}
