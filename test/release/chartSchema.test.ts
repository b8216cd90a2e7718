import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog, getRelease, CHARTS } from "../../lib/release/catalog";
import { chartLocations } from "../../lib/release/charts";
import { chartValueProblems, checkChartValues } from "../../lib/release/chartSchema";
import { DEFAULT_CATALOG_DIR } from "../../lib/release/catalog";
import { planStack, PROJECT, requireShared } from "../helpers";
import { LockstepInputError } from "../../lib/core/errors";
import { prepareInputs } from "../../lib/config/inputs";
import { readStackValues } from "../../lib/config/stackFile";

const SCHEMA = {
  $schema: "http://json-schema.org/schema#",
  type: "object",
  properties: {
    replicaCount: { type: "integer" },
    mode: { enum: ["a", "b"] },
    strict: { type: "object", additionalProperties: false, properties: { on: { type: "boolean" } } },
    either: { anyOf: [{ type: "string" }, { type: "integer" }] },
  },
};

describe("chartValueProblems", () => {
  it("passes values the schema allows, and drops nulls as Helm does before checking", () => {
    assert.deepEqual(chartValueProblems({ replicaCount: 2, mode: "a", strict: { on: true }, either: 3 }, SCHEMA), []);
    assert.deepEqual(chartValueProblems({ replicaCount: null }, SCHEMA), []);
  });

  it("names the path, the value and what the schema allows, for each kind of refusal", () => {
    assert.deepEqual(chartValueProblems({ replicaCount: "one" }, SCHEMA), [
      { path: ["replicaCount"], value: "one", allowed: "the schema allows integer here" },
    ]);
    assert.deepEqual(chartValueProblems({ mode: "c" }, SCHEMA), [
      { path: ["mode"], value: "c", allowed: 'the schema allows one of "a", "b"' },
    ]);
    assert.deepEqual(chartValueProblems({ strict: { of: 1 } }, SCHEMA), [
      { path: ["strict", "of"], value: 1, allowed: "the schema has no such field" },
    ]);
  });

  it("reports a union no branch matched once, by the union, not by each branch", () => {
    const problems = chartValueProblems({ either: true }, SCHEMA);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.deepEqual(problems[0].path, ["either"]);
    assert.match(problems[0].allowed, /must match a schema in anyOf/);
  });
});

describe("chartValueProblems, each keyword and path", () => {
  const schema = {
    type: "object",
    properties: {
      port: { type: ["integer", "string"] },
      mode: { const: "strict" },
      auth: { type: "object", required: ["issuer"], properties: { issuer: { type: "string" } } },
      size: { type: "integer", minimum: 1 },
      list: { type: "array", items: { type: "integer" } },
      twice: { allOf: [{ type: "integer" }, { type: "integer" }] },
      pick: { oneOf: [{ type: "string" }, { type: "integer" }] },
    },
    additionalProperties: { type: "integer" },
  };
  const only = (values: Record<string, unknown>) => {
    const problems = chartValueProblems(values, schema);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    return problems[0];
  };

  it("says what each keyword allows", () => {
    assert.equal(only({ port: true }).allowed, "the schema allows integer or string here");
    assert.deepEqual(only({ mode: "loose" }), {
      path: ["mode"],
      value: "loose",
      allowed: 'the schema allows only "strict"',
    });
    assert.deepEqual(only({ size: 0 }), { path: ["size"], value: 0, allowed: "the schema says it must be >= 1" });
  });

  it("names a missing field by its own path, with no value", () => {
    assert.deepEqual(only({ auth: {} }), {
      path: ["auth", "issuer"],
      value: undefined,
      allowed: "the schema requires this field",
    });
  });

  it("reads the path as Helm's keys: escaped / and ~ restored, list indexes as numbers, digits in keys kept", () => {
    assert.deepEqual(only({ "a/b": "x" }).path, ["a/b"]);
    assert.deepEqual(only({ "c~d": "x" }).path, ["c~d"]);
    assert.deepEqual(only({ list: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "eleven"] }).path, ["list", 10]);
    assert.deepEqual(only({ "1x": "x" }).path, ["1x"]);
    assert.deepEqual(only({ x1: "x" }).path, ["x1"]);
  });

  it("reports a path and keyword once, however many schema branches refuse it, and a oneOf by the union", () => {
    assert.deepEqual(only({ twice: "x" }), { path: ["twice"], value: "x", allowed: "the schema allows integer here" });
    assert.match(only({ pick: true }).allowed, /must match exactly one schema in oneOf/);
  });
});

describe("checkChartValues against the real charts (../shared/charts)", () => {
  const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
  const at = (version: string, stackValues = {}) => {
    const release = getRelease(catalog, version);
    const charts = chartLocations(release, requireShared("charts"), PROJECT);
    return checkChartValues({ release, charts, mirror: catalog.mirror, stackValues });
  };

  it("every release's own values (catalog, security contexts, images) pass every pinned chart's schema", () => {
    for (const version of catalog.versions) {
      const { checks, refusals } = at(version);
      assert.deepEqual(refusals, [], version);
      assert.deepEqual(
        checks.map((c) => [c.chart, c.checked]),
        CHARTS.map((k) => [k, true]),
        `${version}: every chart folder ships a schema`,
      );
    }
  });

  it("refuses a stack value of the wrong type, marked as the stack's", () => {
    const { refusals } = at("1.4.2", { cnpgOperator: { replicaCount: "one" } });
    assert.equal(refusals.length, 1);
    assert.deepEqual(
      [
        refusals[0].chart,
        refusals[0].name,
        refusals[0].version,
        refusals[0].path,
        refusals[0].value,
        refusals[0].fromStack,
      ],
      ["cnpgOperator", "cloudnative-pg", "0.29.0", ["replicaCount"], "one", true],
    );
    assert.match(refusals[0].schemaFile, /cloudnative-pg-0\.29\.0\/values\.schema\.json$/);
  });

  it("checks against the chart version the target release pins: a value keycloakx 7.1.7 ignores, 7.1.11 refuses", () => {
    const values = { identity: { httpRoute: { enabled: "yes" } } };
    assert.deepEqual(at("1.4.2", values).refusals, [], "7.1.7 has no httpRoute in its schema");
    const refused = at("1.5.0", values).refusals;
    assert.deepEqual(
      refused.map((r) => [r.name, r.version, r.path.join(".")]),
      [["keycloakx", "7.1.11", "httpRoute.enabled"]],
    );
  });

  it("says so when a chart folder ships no schema, and checks nothing for it", () => {
    const release = getRelease(catalog, "1.4.2");
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-chart-"));
    try {
      const charts = {
        ...chartLocations(release, undefined, PROJECT),
        cnpgOperator: { chart: bare, version: "0.29.0" },
      };
      const { checks, refusals } = checkChartValues({
        release,
        charts,
        stackValues: { cnpgOperator: { replicaCount: "one" } },
      });
      assert.deepEqual(refusals, []);
      assert.deepEqual(checks[0], {
        chart: "cnpgOperator",
        name: "cloudnative-pg",
        version: "0.29.0",
        checked: false,
        reason: "the chart ships no values.schema.json",
      });
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });

  it("marks a refusal the stack did not write as the catalog's, even beside the stack's own values", () => {
    const release = structuredClone(getRelease(catalog, "1.4.2"));
    release.charts.cnpgOperator.values = { ...release.charts.cnpgOperator.values, replicaCount: "two" };
    const charts = chartLocations(release, requireShared("charts"), PROJECT);
    for (const stackValues of [{}, { cnpgOperator: { fullnameOverride: "cnpg" } }]) {
      const { refusals } = checkChartValues({ release, charts, mirror: catalog.mirror, stackValues });
      assert.deepEqual(
        refusals.map((r) => [r.path.join("."), r.value, r.fromStack]),
        [["replicaCount", "two", false]],
        JSON.stringify(stackValues),
      );
    }
  });

  it("refuses a chart folder whose schema is not JSON, naming the file", () => {
    const release = getRelease(catalog, "1.4.2");
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-chart-"));
    try {
      fs.writeFileSync(path.join(broken, "values.schema.json"), "{ not json");
      const charts = {
        ...chartLocations(release, undefined, PROJECT),
        cnpgOperator: { chart: broken, version: "0.29.0" },
      };
      assert.throws(
        () => checkChartValues({ release, charts, stackValues: {} }),
        (err: Error) =>
          err instanceof LockstepInputError &&
          err.message.startsWith(`${path.join(broken, "values.schema.json")}: not valid JSON (`) &&
          err.message.endsWith("); the chart folder must hold the chart as released"),
      );
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
    }
  });

  it("says why an upstream chart is not checked", () => {
    const release = getRelease(catalog, "1.4.2");
    const { checks, refusals } = checkChartValues({
      release,
      charts: chartLocations(release, undefined, PROJECT),
      stackValues: { cnpgOperator: { replicaCount: "one" } },
    });
    assert.deepEqual(refusals, []);
    assert.ok(checks.every((c) => !c.checked && /Helm checks it at install/.test(c.reason)));
  });
});

describe("the plan refuses chart values the chart refuses", () => {
  const shared = () => `chartSource=${requireShared("charts")}`;

  it("in an upgrade window, against the new release's chart, naming key, value, chart and schema file", async () => {
    const windowTo150 = ["release=1.5.0", "upgrade.mode=coordinated", "deployed=1.4.2"];
    await assert.rejects(
      planStack("staging", shared(), 'chartValues.identity.httpRoute.enabled="yes"', ...windowTo150),
      (err: unknown) => {
        assert.ok(err instanceof LockstepInputError, String(err));
        assert.match(
          err.message,
          /^lockstep:chartValues\.identity\.httpRoute\.enabled = "yes": the keycloakx 7\.1\.11 chart \(pinned by release 1\.5\.0\) refuses it: the schema allows boolean here \(.*keycloakx-7\.1\.11\/values\.schema\.json\)$/,
        );
        return true;
      },
    );
  });

  it("reports every refused value at once, and reports the checked charts when they pass", async () => {
    await assert.rejects(
      planStack(
        "staging",
        shared(),
        'chartValues.cnpgOperator.replicaCount="one"',
        "chartValues.openbao.server.enabled=3",
      ),
      /^LockstepInputError: 2 chart values the charts refuse:\n {2}lockstep:chartValues\.cnpgOperator\.replicaCount = "one": .*\n {2}lockstep:chartValues\.openbao\.server\.enabled = 3: /,
    );
    const ok = await planStack("staging", shared());
    assert.deepEqual(
      ok.chartValues.map((c) => `${c.name}-${c.version}:${c.checked}`),
      [
        "cloudnative-pg-0.29.0:true",
        "plugin-barman-cloud-0.7.0:true",
        "keycloakx-7.1.11:true",
        "openbao-0.19.1:true",
        "prometheus-29.27.0:true",
      ],
    );
  });

  it("never prints a value of chartValues stored as a secret, nor one that looks like a credential", () => {
    const catalog = loadCatalog(DEFAULT_CATALOG_DIR);
    const values = {
      ...readStackValues("staging"),
      chartSource: requireShared("charts"),
      chartValues: { cnpgOperator: { replicaCount: "Sup3rS3cr3tT0kenValue4471" } },
    };
    const refuse = (secretKeys: string[]) => {
      try {
        prepareInputs(values, catalog, { projectDir: PROJECT, deployed: null, secretKeys });
      } catch (err) {
        assert.ok(err instanceof LockstepInputError, String(err));
        return err.message;
      }
      assert.fail("expected a refusal");
    };
    for (const secretKeys of [["chartValues"], []]) {
      const message = refuse(secretKeys);
      assert.match(
        message,
        /^lockstep:chartValues\.cnpgOperator\.replicaCount = \[secret\]: the cloudnative-pg 0\.29\.0 chart/,
      );
      assert.doesNotMatch(message, /Sup3rS3cr3t/);
    }
  });
});
