/** What a stack last deployed, read from `--deployed <version|file>` and from stack outputs (lib/state/deployed.ts). */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { prepareInputs } from "../../lib/config/inputs";
import { readStackFile } from "../../lib/config/stackFile";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog, partDigests, setDigest } from "../../lib/release/catalog";
import {
  backupTaken,
  checkDeployedSetUnchanged,
  deployedAt,
  DeployedState,
  deployedFromOutputs,
  parseDeployedArgument,
} from "../../lib/state/deployed";
import { PROJECT, refusal } from "../helpers";

const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
const VERSIONS = "1.3.4, 1.4.2, 1.5.0, 1.5.1, 2.0.0";
const WORKLOADS =
  "api, gateway, gateway-canary, console-blue, console-green, worker-export, worker-lifecycle, worker-config";
const record = (content: unknown): string => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-deployed-")), "record.json");
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
};
describe("deployedAt", () => {
  it("puts every workload but the canary at the version, with no set digest", () => {
    assert.deepEqual(deployedAt("1.5.0", catalog), {
      release: "1.5.0",
      setDigest: null,
      workloads: {
        api: "1.5.0",
        gateway: "1.5.0",
        "console-blue": "1.5.0",
        "console-green": "1.5.0",
        "worker-export": "1.5.0",
        "worker-lifecycle": "1.5.0",
        "worker-config": "1.5.0",
      },
    });
  });

  it("refuses a version the catalog does not have, listing those it has", () => {
    assert.equal(
      refusal(() => deployedAt("1.4.9", catalog)),
      `--deployed 1.4.9: not in the release catalog; available versions: ${VERSIONS}`,
    );
  });
});

describe("parseDeployedArgument", () => {
  it("takes an exact version, or a record file in the short form or as stack outputs", () => {
    assert.equal(parseDeployedArgument("1.4.2", catalog).workloads.api, "1.4.2");
    assert.deepEqual(
      parseDeployedArgument(record({ release: "1.5.0", workloads: { api: "1.5.1", gateway: "1.5.0" } }), catalog),
      { release: "1.5.0", setDigest: null, workloads: { api: "1.5.1", gateway: "1.5.0" } },
    );
    const digest = `sha256:${"b".repeat(64)}`;
    assert.deepEqual(
      parseDeployedArgument(
        record({ release: { version: "1.5.1", setDigest: digest }, workloads: { api: "1.5.1" } }),
        catalog,
      ),
      { release: "1.5.1", setDigest: digest, workloads: { api: "1.5.1" } },
    );
  });

  it("refuses what is neither a version nor an existing file", () => {
    assert.equal(
      refusal(() => parseDeployedArgument("1.5", catalog)),
      '--deployed "1.5": neither an exact version like 1.5.1 nor an existing record file',
    );
    assert.equal(
      refusal(() => parseDeployedArgument("/nonexistent/record.json", catalog)),
      '--deployed "/nonexistent/record.json": neither an exact version like 1.5.1 nor an existing record file',
    );
  });

  it("refuses a file that is not JSON, or not a record, naming the field (or the root)", () => {
    const text = record("{release: 1.5.0");
    assert.match(
      refusal(() => parseDeployedArgument(text, catalog)),
      new RegExp(`^--deployed ${text.replace(/[.]/g, "\\.")}: not valid JSON \\(.+\\)$`),
    );
    const list = record([1, 2]);
    assert.match(
      refusal(() => parseDeployedArgument(list, catalog)),
      new RegExp(
        `^--deployed ${list.replace(/[.]/g, "\\.")}: field \\(root\\): .+; expected \\{release, workloads\\} or the JSON of \`pulumi stack output --json\`$`,
      ),
    );
    const badVersion = record({ release: "1.5.0", workloads: { api: "latest" } });
    assert.match(
      refusal(() => parseDeployedArgument(badVersion, catalog)),
      /: field workloads\.api: /,
    );
  });

  it("refuses a version outside the catalog, naming the workload (or the release) that runs it", () => {
    const release = record({ release: "1.4.9", workloads: { api: "1.5.0" } });
    assert.equal(
      refusal(() => parseDeployedArgument(release, catalog)),
      `--deployed ${release}: release runs 1.4.9, which is not in the release catalog (${VERSIONS})`,
    );
    const workload = record({ release: "1.5.0", workloads: { api: "1.5.0", gateway: "0.9.0" } });
    assert.equal(
      refusal(() => parseDeployedArgument(workload, catalog)),
      `--deployed ${workload}: gateway runs 0.9.0, which is not in the release catalog (${VERSIONS})`,
    );
  });

  it("refuses a workload lockstep does not run, listing those it does", () => {
    const file = record({ release: "1.5.0", workloads: { api: "1.5.0", "worker-billing": "1.5.0", web: "1.5.0" } });
    assert.equal(
      refusal(() => parseDeployedArgument(file, catalog)),
      `--deployed ${file}: unknown workload worker-billing, web; the workloads are ${WORKLOADS}`,
    );
    assert.equal(
      parseDeployedArgument(record({ release: "1.5.0", workloads: { "gateway-canary": "1.5.1" } }), catalog).workloads[
        "gateway-canary"
      ],
      "1.5.1",
    );
  });
});

describe("deployedFromOutputs", () => {
  it("names the field path of outputs that are not a lockstep release", () => {
    assert.equal(
      refusal(() => deployedFromOutputs({ release: { version: "1.5.0" }, workloads: { api: 7 } }, "stack acme")),
      "stack acme: the last deployment's outputs do not describe a lockstep release (workloads.api: Invalid input: expected string, received number); was this stack deployed by another program?",
    );
  });
});

describe("a released version is immutable", () => {
  /** A copy of the shipped catalog with one edit made to 1.5.1's file. */
  function editedCatalog(edit: (text: string) => string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-edited-"));
    fs.cpSync(DEFAULT_CATALOG_DIR, dir, { recursive: true });
    const file = path.join(dir, "1.5.1.yaml");
    fs.writeFileSync(file, edit(fs.readFileSync(file, "utf8")));
    return loadCatalog(dir);
  }
  const release151 = getRelease(catalog, "1.5.1");
  const ran151 = deployedFromOutputs(
    {
      release: { version: "1.5.1", setDigest: setDigest(release151), parts: partDigests(release151) },
      workloads: { api: "1.5.1" },
    },
    "stack staging",
  );
  const newApi = (text: string) => text.replace(/api@sha256:[a-f0-9]{64}/, `api@sha256:${"e".repeat(64)}`);

  it("refuses the catalog giving a deployed version another set, naming the file and the part that changed", () => {
    const edited = editedCatalog(newApi);
    assert.match(
      refusal(() => checkDeployedSetUnchanged(ran151, edited)),
      /1\.5\.1\.yaml: this stack deployed 1\.5\.1 as set sha256:577ffbc3d265.*, and the catalog now gives 1\.5\.1 the set sha256:[a-f0-9]{64} \(changed: components\.api\); a released version is never edited in place/,
    );
  });
  it("names every changed part, a chart's values among them", () => {
    const edited = editedCatalog((t) => newApi(t).replace("clusterWide: true", "clusterWide: false"));
    assert.match(
      refusal(() => checkDeployedSetUnchanged(ran151, edited)),
      /\(changed: components\.api, charts\.cnpgOperator\)/,
    );
  });
  it("says when the deployment's outputs carry no per-part digests", () => {
    const older = { ...ran151, setParts: undefined } as DeployedState;
    assert.match(
      refusal(() => checkDeployedSetUnchanged(older, editedCatalog(newApi))),
      /the deployment's outputs carry no per-part digests/,
    );
  });
  it("passes the same set, a notes-only edit, and a typed --deployed version (no digest to compare)", () => {
    checkDeployedSetUnchanged(ran151, catalog);
    checkDeployedSetUnchanged(
      ran151,
      editedCatalog((t) => t.replace("retry storm", "retry storm (fixed)")),
    );
    checkDeployedSetUnchanged(deployedAt("1.5.1", editedCatalog(newApi)), editedCatalog(newApi));
  });
  it("holds in the program and the plan alike: prepareInputs refuses it before anything is declared", () => {
    const edited = editedCatalog(newApi);
    const values = { ...readStackFile("staging", PROJECT).values };
    assert.match(
      refusal(() => prepareInputs(values, edited, { projectDir: PROJECT, deployed: ran151 })),
      /changed: components\.api/,
    );
  });
});

describe("a pre-upgrade backup as the restore point records it", () => {
  const cluster = { cluster: "platform-db", serverName: "platform-db" };
  it("an object-store backup is its backupId", () => {
    assert.deepEqual(backupTaken("objectStore", cluster, "pre-upgrade-platform-db-x", "20261120T101500"), {
      ...cluster,
      backupId: "20261120T101500",
    });
  });
  it("a volume-snapshot backup is its Backup's name, its snapshots and when it stopped", () => {
    const awaited = '{"stoppedAt":"2026-12-04T10:00:05Z","snapshots":["pre-upgrade-platform-db-x"]}';
    assert.deepEqual(backupTaken("volumeSnapshot", cluster, "pre-upgrade-platform-db-x", awaited), {
      ...cluster,
      backupId: "pre-upgrade-platform-db-x",
      method: "volumeSnapshot",
      stoppedAt: "2026-12-04T10:00:05Z",
      snapshots: ["pre-upgrade-platform-db-x"],
    });
  });
  it("refuses an await report it cannot read, naming the Backup", () => {
    for (const awaited of ["20261120T101500", '{"snapshots":[]}', '{"stoppedAt":"","snapshots":["a"]}'])
      assert.throws(
        () => backupTaken("volumeSnapshot", cluster, "pre-upgrade-platform-db-x", awaited),
        /the await of Backup pre-upgrade-platform-db-x printed .*, not its snapshots and stop time/,
      );
  });
});
