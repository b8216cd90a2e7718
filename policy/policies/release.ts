/** Release-set policies: what runs is exactly the catalog's set, and prod runs only what staging verified. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { FIRST_PARTY, FirstPartyComponent, type Release } from "../../lib/release/catalog";
import { chartImageValues, mirrored } from "../../lib/release/images";
import { valueAt } from "../../lib/core/objects";
import { DEFAULT_PRODUCTION_STACKS, promotionRefusal } from "../../lib/state/gates";
import { DIGEST_IMAGE } from "../../lib/release/schemas";
import { LABELS } from "../../lib/core/names";
import { catalog, CHART_OF_RELEASE, readableRecord, TYPES } from "./context";
import { helmReleaseShape, labelsOf, podSpecOf, view } from "./shapes";

/** Every leaf of a values tree with its path: `[["server", "image", "digest"], "sha256:…"]`. */
function leaves(values: unknown, at: string[] = []): [string[], unknown][] {
  if (!values || typeof values !== "object" || Array.isArray(values)) return [[at, values]];
  return Object.entries(values).flatMap(([k, v]) => leaves(v, [...at, k]));
}

/**
 * A chart release's images: the values at the chart's image paths must be what the catalog pins for that
 * chart at that version (some release of the catalog pins it so), digests and all.
 */
function chartImageProblems(props: unknown): string[] {
  const release = view(helmReleaseShape, props);
  const chart = release?.name ? CHART_OF_RELEASE.get(release.name) : undefined;
  if (!release || !chart) return [];
  const { releases, versions, mirror } = catalog();
  // Oldest first, so the refusal lists the versions in order and judges against the newest pin.
  const everyPin = versions.map((v) => (releases.get(v) as Release).charts[chart]);
  const pins = everyPin.filter((pin) => pin.version === release.version);
  if (pins.length === 0) {
    const known = [...new Set(everyPin.map((pin) => pin.version))];
    return [
      `chart release ${release.name}: chart version ${JSON.stringify(release.version)} must be one the release catalog pins for ${chart} (${known.join(", ")})`,
    ];
  }
  const differing = (images: Record<string, string>) =>
    leaves(chartImageValues(chart, images, mirror)).filter(([path, want]) => valueAt(release.values, path) !== want);
  if (pins.some((pin) => differing(pin.images).length === 0)) return [];
  const [path, want] = differing(pins[pins.length - 1].images)[0];
  return [
    `chart release ${release.name}: values.${path.join(".")} must be ${JSON.stringify(want)}, the catalog's image for ${chart} ${String(release.version)}, not ${JSON.stringify(valueAt(release.values, path))}: a chart runs only the images its set pins`,
  ];
}

export const releaseSetPinned: ResourceValidationPolicy = {
  name: "release-set-pinned",
  description:
    "Checks whether every container image is pinned by digest and, for lockstep components, equals the catalog's digest for the version the workload declares, and whether every chart release runs the images the catalog pins for its chart version.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type === TYPES.helmRelease) {
      for (const problem of chartImageProblems(args.props)) reportViolation(problem);
      return;
    }
    const pod = podSpecOf(args.type, args.props);
    if (!pod) return;
    const labels = labelsOf(args.props);
    const component = labels[LABELS.component];
    const version = labels[LABELS.version];
    const firstParty = (FIRST_PARTY as readonly string[]).includes(component);
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      const image = container.image ?? "";
      if (!DIGEST_IMAGE.test(image)) {
        reportViolation(
          `container ${container.name} image ${JSON.stringify(image)} must be pinned by digest (repo@sha256:<64 hex>)`,
        );
        continue;
      }
      if (!firstParty) continue;
      const release = version ? catalog().releases.get(version) : undefined;
      if (!release) {
        reportViolation(
          `${component} declares ${LABELS.version}=${JSON.stringify(version)}, which must be a version in the release catalog (${catalog().versions.join(", ")})`,
        );
        continue;
      }
      const pinned = mirrored(release.components[component as FirstPartyComponent].image, catalog().mirror);
      if (image !== pinned) {
        reportViolation(
          `container ${container.name} image must equal the catalog's ${component} ${version} digest ${pinned}, not ${image}: no component drifts from the set`,
        );
      }
    }
  },
};

interface ProdConfig {
  productionStacks?: string[];
}

// Used when the stack's policy config names no production stacks; the analyzer passes config without schema defaults.
export { DEFAULT_PRODUCTION_STACKS };

export const prodPromotedOnly: StackValidationPolicy = {
  name: "prod-promoted-only",
  description:
    "Checks whether a production stack (named in productionStacks, or with lockstep:environment prod) runs exactly the release set digest that staging recorded as verified (lockstep:promotion).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      productionStacks: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: DEFAULT_PRODUCTION_STACKS,
        description:
          "Stacks that are production by name, whatever their own lockstep:environment says: the gate keys on the stack, not on a field the stack can flip.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const found = readableRecord(args.resources);
    const productionStacks = args.getConfig<ProdConfig>().productionStacks ?? DEFAULT_PRODUCTION_STACKS;
    const refusal = found && promotionRefusal(found.record, catalog(), productionStacks);
    if (refusal) reportViolation(refusal, found.resource.urn);
  },
};
