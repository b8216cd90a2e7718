/**
 * TEST DOUBLE of an S3-compatible object store, for the OpenBao snapshot's upload: no object store runs in
 * the e2e tier. It answers path-style PUT and HEAD on loopback, as scripts/openbao-snapshot.sh calls them,
 * and refuses what a real bucket would: a request not signed with SigV4, or a PUT that does not ask for
 * server-side encryption. It does not check the signature itself (no secret is shared with it).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredObject {
  body: Buffer;
  encryption: string;
  /** The access key id the request was signed with. */
  signedBy: string;
}

export interface ObjectStoreDouble {
  url: string;
  /** `/<bucket>/<key>` -> what was stored. */
  objects: Map<string, StoredObject>;
  stop(): Promise<void>;
}

const ENCRYPTIONS = new Set(["AES256", "aws:kms"]);

export async function startObjectStore(): Promise<ObjectStoreDouble> {
  const objects = new Map<string, StoredObject>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const key = decodeURIComponent((req.url ?? "/").split("?")[0]);
      const signed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\//.exec(req.headers.authorization ?? "");
      if (!signed) return res.writeHead(403).end("<Error><Code>AccessDenied</Code></Error>");
      if (req.method === "PUT") {
        const encryption = String(req.headers["x-amz-server-side-encryption"] ?? "");
        if (!ENCRYPTIONS.has(encryption))
          return res.writeHead(400).end("<Error><Code>InvalidEncryptionAlgorithmError</Code></Error>");
        objects.set(key, { body: Buffer.concat(chunks), encryption, signedBy: signed[1] });
        return res.writeHead(200).end();
      }
      if (req.method === "HEAD") {
        const found = objects.get(key);
        if (!found) return res.writeHead(404).end();
        return res
          .writeHead(200, { "content-length": found.body.length, "x-amz-server-side-encryption": found.encryption })
          .end();
      }
      return res.writeHead(405).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
