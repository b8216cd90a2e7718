/** Release-set policies: what runs is exactly the catalog's set, and prod runs only what staging verified. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { FIRST_PARTY, FirstPartyComponent } from "../../lib/release/catalog";
import { mirrored } from "../../lib/release/images";
import { DEFAULT_PRODUCTION_STACKS, promotionRefusal } from "../../lib/state/gates";
import { DIGEST_IMAGE } from "../../lib/release/schemas";
import { LABELS } from "../../lib/core/names";
import { catalog, readableRecord } from "./context";
import { labelsOf, podSpecOf } from "./shapes";

export const releaseSetPinned: ResourceValidationPolicy = {
  name: "release-set-pinned",
  description:
    "Checks whether every container image is pinned by digest and, for lockstep components, equals the catalog's digest for the version the workload declares.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
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
