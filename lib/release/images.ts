/**
 * Images, pinned by digest, where they land and where they are pulled from. The catalog pins every
 * image a release runs: first-party components, each chart's images, PostgreSQL. A chart takes its
 * images through values; which values is chart knowledge, kept here, so the program sets them and the
 * stack cannot. A catalog-level mirror rewrites registries, never digests: the bits stay the tested ones.
 */
import type { ChartKey, Mirror } from "./catalog";
import type { Values } from "../core/merge";

export interface ImageRef {
  /** `ghcr.io` */
  registry: string;
  /** `cloudnative-pg/cloudnative-pg` */
  repository: string;
  /** `1.30.0`, or empty when the reference has no tag. */
  tag: string;
  /** `sha256:<64 hex>` */
  digest: string;
}

/** Splits `registry/repo[:tag]@sha256:<hex>` (a DIGEST_IMAGE) into its parts. */
export function parseImage(ref: string): ImageRef {
  const [name, digest] = ref.split("@");
  const slash = name.indexOf("/");
  const registry = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  const colon = rest.lastIndexOf(":");
  return colon < 0
    ? { registry, repository: rest, tag: "", digest }
    : { registry, repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
}

export function formatImage(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}@${ref.digest}`;
}

/** The reference to pull: the mirror's location when the catalog names one for its registry; the digest never changes. */
export function mirrored(ref: string, mirror: Mirror | undefined): string {
  const image = parseImage(ref);
  const target = mirror?.[image.registry];
  if (!target) return ref;
  const [registry, ...prefix] = target.split("/");
  return formatImage({ ...image, registry, repository: [...prefix, image.repository].join("/") });
}

/** The values that make a chart run its pinned images, digest and all. */
export function chartImageValues(chart: ChartKey, images: Record<string, string>, mirror: Mirror | undefined): Values {
  const ref = (name: string) => parseImage(mirrored(images[name], mirror));
  // `tag@digest` renders as `repo:tag@sha256:...` in charts that join repository and tag: the digest decides.
  const tagged = (r: ImageRef) => (r.tag ? `${r.tag}@${r.digest}` : r.digest);
  switch (chart) {
    case "cnpgOperator": {
      const operator = ref("operator");
      return { image: { repository: `${operator.registry}/${operator.repository}`, tag: tagged(operator) } };
    }
    case "barmanCloudPlugin": {
      const plugin = ref("plugin");
      const sidecar = ref("sidecar");
      return {
        image: { registry: plugin.registry, repository: plugin.repository, tag: tagged(plugin) },
        sidecarImage: { registry: sidecar.registry, repository: sidecar.repository, tag: tagged(sidecar) },
      };
    }
    case "identity": {
      const keycloak = ref("keycloak");
      return {
        image: {
          repository: `${keycloak.registry}/${keycloak.repository}`,
          tag: keycloak.tag,
          digest: keycloak.digest,
        },
      };
    }
    case "openbao": {
      const server = ref("server");
      return { server: { image: { registry: server.registry, repository: server.repository, tag: tagged(server) } } };
    }
    case "observability": {
      // This chart pulls by digest when one is set, so the tag stays only for people reading the values.
      const image = (r: ImageRef) => ({ repository: `${r.registry}/${r.repository}`, tag: r.tag, digest: r.digest });
      return {
        server: { image: image(ref("server")) },
        configmapReload: { prometheus: { image: image(ref("configReloader")) } },
      };
    }
  }
}

/** Value keys that choose an image: a stack may not set them (the catalog pins images by digest). */
export const IMAGE_VALUE_KEYS = new Set([
  "image",
  "images",
  "imageName",
  "sidecarImage",
  "registry",
  "repository",
  "tag",
  "digest",
  "imageTag",
]);

/** The paths under a chart's values that would choose an image, for the refusal message. */
export function imageOverrides(values: unknown, path: string[] = []): string[][] {
  if (!values || typeof values !== "object" || Array.isArray(values)) return [];
  return Object.entries(values).flatMap(([key, value]) =>
    IMAGE_VALUE_KEYS.has(key) ? [[...path, key]] : imageOverrides(value, [...path, key]),
  );
}
