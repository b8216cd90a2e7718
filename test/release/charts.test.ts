/** Where each pinned chart is installed from (lib/release/charts.ts): upstream, an OCI mirror, or a local folder checked against the pin. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_CATALOG_DIR, getRelease, loadCatalog } from "../../lib/release/catalog";
import { chartLocations } from "../../lib/release/charts";
import { refusal } from "../helpers";

const release = getRelease(loadCatalog(DEFAULT_CATALOG_DIR), "1.5.1");
/** A chart source folder with a Chart.yaml per pinned chart, each overridable. */
function source(overrides: Record<string, string | null> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-charts-"));
  for (const pin of Object.values(release.charts)) {
    const folder = `${pin.chart}-${pin.version}`;
    const text =
      folder in overrides ? overrides[folder] : `apiVersion: v2\nname: ${pin.chart}\nversion: ${pin.version}\n`;
    if (text === null) continue;
    fs.mkdirSync(path.join(dir, folder));
    fs.writeFileSync(path.join(dir, folder, "Chart.yaml"), text);
  }
  return dir;
}
describe("chartLocations", () => {
  it("takes each chart from the catalog's repository by default", () => {
    assert.deepEqual(chartLocations(release, undefined, "/p").cnpgOperator, {
      chart: "cloudnative-pg",
      version: "0.29.0",
      repo: "https://cloudnative-pg.github.io/charts",
    });
  });

  it("takes each chart from an OCI mirror at the pinned version, with any trailing slashes dropped", () => {
    assert.deepEqual(chartLocations(release, "oci://mirror.example/charts//", "/p").barmanCloudPlugin, {
      chart: "oci://mirror.example/charts/plugin-barman-cloud",
      version: "0.7.0",
    });
    assert.deepEqual(chartLocations(release, "oci://mirror.example/charts", "/p").cnpgOperator, {
      chart: "oci://mirror.example/charts/cloudnative-pg",
      version: "0.29.0",
    });
  });

  it("takes each chart from its <chart>-<version> folder, relative to the project directory", () => {
    const dir = source();
    assert.deepEqual(chartLocations(release, path.basename(dir), path.dirname(dir)).cnpgOperator, {
      chart: path.join(dir, "cloudnative-pg-0.29.0"),
      version: "0.29.0",
    });
  });

  it("refuses a folder that is missing, not YAML, or holds another chart or version, naming the file and the pin", () => {
    const missing = source({ "cloudnative-pg-0.29.0": null });
    assert.equal(
      refusal(() => chartLocations(release, missing, "/p")),
      `lockstep:chartSource = ${JSON.stringify(missing)}: has no cloudnative-pg-0.29.0/Chart.yaml for charts.cnpgOperator (cloudnative-pg 0.29.0); the directory must hold a <chart>-<version>/ folder for every chart the release pins (looked in ${missing})`,
    );
    const broken = source({ "cloudnative-pg-0.29.0": "name: [cloudnative-pg\nversion: x\n" });
    const message = refusal(() => chartLocations(release, broken, "/p"));
    assert.ok(
      message.startsWith(`${path.join(broken, "cloudnative-pg-0.29.0", "Chart.yaml")}: not valid YAML: `),
      message,
    );
    assert.match(message, /: not valid YAML: [^\n]{12,}$/, "the parser's first line, whole");
    const otherName = source({ "cloudnative-pg-0.29.0": "name: cnpg\nversion: 0.29.0\n" });
    assert.equal(
      refusal(() => chartLocations(release, otherName, "/p")),
      `${path.join(otherName, "cloudnative-pg-0.29.0", "Chart.yaml")}: holds chart cnpg 0.29.0, but charts.cnpgOperator pins cloudnative-pg 0.29.0`,
    );
    const otherVersion = source({ "cloudnative-pg-0.29.0": "name: cloudnative-pg\nversion: 0.28.1\n" });
    assert.equal(
      refusal(() => chartLocations(release, otherVersion, "/p")),
      `${path.join(otherVersion, "cloudnative-pg-0.29.0", "Chart.yaml")}: holds chart cloudnative-pg 0.28.1, but charts.cnpgOperator pins cloudnative-pg 0.29.0`,
    );
  });
});
