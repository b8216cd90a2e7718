/**
 * Bad input, table-driven, through the one CLI entry point: every case exits 2 with one message on
 * stderr that names the file or key, the value and what is allowed (with a "did you mean" where there is
 * one), writes nothing to stdout, and leaves every file of the project exactly as it was.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { CliEnv } from "../../cli/env";
import { main } from "../../cli/lockstep";
import { PROJECT } from "../helpers";
import { OFFLINE_SMOKE_IO } from "../cliKit";

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-bad-"));
  for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"])
    fs.copyFileSync(path.join(PROJECT, f), path.join(dir, f));
  fs.cpSync(path.join(PROJECT, "releases"), path.join(dir, "releases"), { recursive: true });
  fs.cpSync(path.join(PROJECT, "policy", "config"), path.join(dir, "policy", "config"), { recursive: true });
  return dir;
}

/** Every path under `dir` with a hash of what it is (file content, link target, or a directory). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d)) {
      const full = path.join(d, name);
      const stat = fs.lstatSync(full);
      const rel = path.relative(dir, full);
      if (stat.isSymbolicLink()) out[rel] = `link:${fs.readlinkSync(full)}`;
      else if (stat.isDirectory()) {
        out[rel] = "dir";
        walk(full);
      } else out[rel] = createHash("sha256").update(fs.readFileSync(full)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

const env = (dir: string): CliEnv => ({
  projectDir: dir,
  catalogDir: path.join(dir, "releases"),
  now: () => new Date("2026-11-22T12:00:00Z"),
  stackOutputs: null,
  kubectl: () => ({ status: 1, stdout: "", stderr: "fake kubectl: no cluster" }),
  fleet: null,
  smokeIo: OFFLINE_SMOKE_IO,
  progress: () => undefined,
});

const edit = (file: string, change: (text: string) => string) => (dir: string) => {
  const full = path.join(dir, file);
  fs.writeFileSync(full, change(fs.readFileSync(full, "utf8")));
};
const write = (file: string, text: string) => (dir: string) => fs.writeFileSync(path.join(dir, file), text);
const stagingPlan = ["plan", "--stack", "staging"];
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const IMAGES = ["api", "gateway", "console", "workers"].flatMap((c) => [
  "--image",
  `${c}=registry.example/aigw/${c}@${digest("a")}`,
]);

interface Case {
  what: string;
  setup?: (dir: string) => void;
  args: string[];
  /** Parts the one message must contain, in any order. */
  says: RegExp[];
}

const CASES: Case[] = [
  // The release catalog
  {
    what: "a second file for a release, with the .yml extension",
    setup: (d) => fs.copyFileSync(path.join(d, "releases", "1.5.1.yaml"), path.join(d, "releases", "1.5.1.yml")),
    args: stagingPlan,
    says: [/releases\/1\.5\.1\.yml/, /must end in \.yaml/],
  },
  {
    what: "a release file named v1.5.1.yaml",
    setup: (d) => fs.copyFileSync(path.join(d, "releases", "1.5.1.yaml"), path.join(d, "releases", "v1.5.1.yaml")),
    args: stagingPlan,
    says: [/v1\.5\.1\.yaml/, /<x\.y\.z>\.yaml/],
  },
  {
    what: "a release file named 1.5.1+build.yaml",
    setup: (d) => fs.copyFileSync(path.join(d, "releases", "1.5.1.yaml"), path.join(d, "releases", "1.5.1+build.yaml")),
    args: stagingPlan,
    says: [/1\.5\.1\+build\.yaml/, /no v prefix, pre-release or build suffix/],
  },
  {
    what: "a directory named like a release",
    setup: (d) => fs.mkdirSync(path.join(d, "releases", "9.9.9.yaml")),
    args: stagingPlan,
    says: [/9\.9\.9\.yaml: not a regular file/],
  },
  {
    what: "a dangling symlink named like a release",
    setup: (d) => fs.symlinkSync(path.join(d, "nowhere"), path.join(d, "releases", "9.9.8.yaml")),
    args: stagingPlan,
    says: [/9\.9\.8\.yaml: cannot be read \(a dangling link\?\)/],
  },
  {
    what: "a release whose file name and version disagree",
    setup: edit("releases/2.0.0.yaml", (t) => t.replace(/^version: 2\.0\.0$/m, "version: 2.0.1")),
    args: stagingPlan,
    says: [/2\.0\.0\.yaml: field version = "2\.0\.1"/, /must be named 2\.0\.1\.yaml/],
  },
  {
    what: "an unknown field in a release",
    setup: edit("releases/2.0.0.yaml", (t) => t.replace(/^kubernetes:/m, "flavour: mint\nkubernetes:")),
    args: stagingPlan,
    says: [/2\.0\.0\.yaml: field flavour = "mint": unknown field/],
  },
  {
    what: "an image pinned by tag only",
    setup: edit("releases/2.0.0.yaml", (t) => t.replace(/aigw\/api@sha256:[a-f0-9]{64}/, "aigw/api:2.0.0")),
    args: stagingPlan,
    says: [/field components\.api\.image = "registry\.lockstep\.example\/aigw\/api:2\.0\.0"/, /pinned by digest/],
  },
  {
    what: "a chart that does not pin all its images",
    setup: edit("releases/2.0.0.yaml", (t) => t.replace(/\n {6}sidecar: [^\n]+/, "")),
    args: stagingPlan,
    says: [/field charts\.barmanCloudPlugin\.images/, /must pin exactly the images plugin, sidecar/],
  },
  {
    what: "a catalog.yaml with an unknown field",
    setup: write("releases/catalog.yaml", "mirrors:\n  ghcr.io: mirror.internal/ghcr\n"),
    args: stagingPlan,
    says: [/catalog\.yaml: field mirrors/, /unknown field; catalog\.yaml has only mirror/],
  },
  {
    what: "a mirror that is not a registry path",
    setup: write("releases/catalog.yaml", "mirror:\n  ghcr.io: https://mirror.internal\n"),
    args: stagingPlan,
    says: [
      /catalog\.yaml: field mirror\.ghcr\.io = "https:\/\/mirror\.internal"/,
      /registry host with an optional path/,
    ],
  },

  // The policy config
  {
    what: "a maximum canary share that is not a number",
    setup: write("policy/config/staging.json", '{"canary-bounds":{"maxCanaryPercent":"lots"}}'),
    args: stagingPlan,
    says: [/policy\/config\/staging\.json: canary-bounds\.maxCanaryPercent = "lots": must be integer/],
  },
  {
    what: "a maximum canary share above 100",
    setup: write("policy/config/staging.json", '{"canary-bounds":{"maxCanaryPercent":500}}'),
    args: stagingPlan,
    says: [/canary-bounds\.maxCanaryPercent = 500: must be <= 100/],
  },
  {
    what: "a negative maximum canary share",
    setup: write("policy/config/staging.json", '{"canary-bounds":{"maxCanaryPercent":-1}}'),
    args: stagingPlan,
    says: [/canary-bounds\.maxCanaryPercent = -1: must be >= 0/],
  },
  {
    what: "an unknown policy id",
    setup: write("policy/config/staging.json", '{"canary-bound":"mandatory"}'),
    args: stagingPlan,
    says: [/canary-bound: unknown policy \(did you mean canary-bounds\?\)/],
  },
  {
    what: "a misspelled setting",
    setup: write("policy/config/staging.json", '{"canary-bounds":{"maxCanaryPrecent":10}}'),
    args: stagingPlan,
    says: [/canary-bounds\.maxCanaryPrecent = 10: unknown setting \(did you mean maxCanaryPercent\?\)/],
  },
  {
    what: "an enforcement level the engine does not know",
    setup: write("policy/config/prod.json", '{"all":"strict"}'),
    args: ["plan", "--stack", "prod"],
    says: [/prod\.json: all = "strict": the enforcement level must be one of advisory, mandatory, remediate, disabled/],
  },
  {
    what: "a policy config that is not JSON",
    setup: write("policy/config/staging.json", "{canary"),
    args: stagingPlan,
    says: [/staging\.json: not valid JSON/],
  },

  // The stack file and --set
  {
    what: "a misspelled field of upgrade",
    args: [...stagingPlan, "--set", "upgrade.fromm=1.5.0"],
    says: [
      /lockstep:upgrade\.fromm = \(not shown\): unknown field \(did you mean from\?\); allowed fields are from, gatewayCanaryPercent, mode/,
    ],
  },
  {
    what: "a misspelled top-level key",
    args: [...stagingPlan, "--set", "relase=1.5.0"],
    says: [/lockstep:relase = \(not shown\): unknown key \(did you mean release\?\)/],
  },
  {
    what: "an empty stack file",
    setup: write("Pulumi.staging.yaml", ""),
    args: stagingPlan,
    says: [/Pulumi\.staging\.yaml: the file is empty/],
  },
  {
    what: "a stack file that is not YAML",
    setup: write("Pulumi.staging.yaml", "config:\n  lockstep:release: [1.5.1\n"),
    args: stagingPlan,
    says: [/Pulumi\.staging\.yaml: not valid YAML/],
  },
  {
    what: "a cron schedule out of range",
    args: [...stagingPlan, "--set", "backup.schedule=99 99 99 * * *"],
    says: [/lockstep:backup\.schedule = "99 99 99 \* \* \*": the second field "99" must be within 0-59/],
  },
  {
    what: "a five-field cron schedule",
    args: [...stagingPlan, "--set", "backup.schedule=0 2 * * *"],
    says: [/lockstep:backup\.schedule = "0 2 \* \* \*": must be a six-field cron expression/],
  },
  {
    what: "a hostname that is not one",
    args: [...stagingPlan, "--set", 'route.hostnames=["Not A Host!"]'],
    says: [/lockstep:route\.hostnames\.0 = "Not A Host!": must be a lowercase DNS hostname/],
  },
  {
    what: "a --set that reaches the prototype",
    args: [...stagingPlan, "--set", "__proto__.x=y"],
    says: [/--set "__proto__\.x": "__proto__" is not a config field/],
  },
  { what: "--stack given twice", args: [...stagingPlan, "--stack", "prod"], says: [/--stack is given more than once/] },
  {
    what: "an image tag through chartValues",
    args: [...stagingPlan, "--set", "chartValues.identity.image.tag=latest"],
    says: [
      /lockstep:chartValues\.identity\.image = \{"tag":"latest"\}: images come from the release catalog, pinned by digest/,
      /mirror in the catalog's catalog\.yaml/,
    ],
  },
  {
    what: "a plaintext password in chartValues",
    args: [...stagingPlan, "--set", "chartValues.identity.adminPassword=hunter2"],
    says: [
      /lockstep:chartValues\.identity\.adminPassword = \[secret\]: looks like a plaintext secret; store it encrypted: pulumi config set --secret --path lockstep:chartValues\.identity\.adminPassword/,
    ],
  },
  {
    what: "an access key anywhere in the config",
    args: [...stagingPlan, "--set", "smoke.blockedPrompt=AKIAABCDEFGHIJKLMNOP"],
    says: [
      /lockstep:smoke\.blockedPrompt = \[secret\]: looks like a plaintext secret/,
      /only chartValues may hold secrets/,
    ],
  },
  {
    what: "an encrypted value outside chartValues",
    setup: edit("Pulumi.staging.yaml", (t) =>
      t.replace("gatewayName: platform-gateway", "gatewayName:\n      secure: v1:AAAA:BBBB"),
    ),
    args: stagingPlan,
    says: [/lockstep:route = \[secret\]: is stored as a secret, but lockstep reads this value itself/],
  },
  {
    what: "an unquoted version in the stack file",
    setup: edit("Pulumi.staging.yaml", (t) =>
      t.replace('lockstep:kubernetesVersion: "1.31"', "lockstep:kubernetesVersion: 1.30"),
    ),
    args: stagingPlan,
    says: [
      /Pulumi\.staging\.yaml: lockstep:kubernetesVersion = 1\.30: written as a YAML number/,
      /quote it, like lockstep:kubernetesVersion: "1\.30"/,
    ],
  },
  {
    what: "a release not in the catalog",
    args: [...stagingPlan, "--set", "release=9.9.9"],
    says: [
      /lockstep:release = "9\.9\.9": not in the release catalog; available versions: 1\.3\.4, 1\.4\.2, 1\.5\.0, 1\.5\.1, 2\.0\.0/,
    ],
  },
  {
    what: "several bad keys, reported in one run",
    args: [...stagingPlan, "--set", "environment=dev", "--set", "namespace=Bad_NS", "--set", "ha=maybe"],
    says: [
      /3 invalid config values:/,
      /lockstep:environment = "dev": must be "staging" or "prod"/,
      /lockstep:namespace = "Bad_NS": must be a DNS-1123 label/,
      /lockstep:ha = "maybe": must be true or false/,
    ],
  },
  {
    what: "--deployed with a version not in the catalog",
    args: [...stagingPlan, "--deployed", "9.9.9"],
    says: [/--deployed 9\.9\.9: not in the release catalog/],
  },
  {
    what: "an upgrade.from that disagrees with what runs",
    args: [...stagingPlan, "--deployed", "1.5.0", "--set", "upgrade.from=1.4.2"],
    says: [/lockstep:upgrade\.from = "1\.4\.2", but this stack runs 1\.5\.0/],
  },
  // Restore, rollback and drills
  {
    what: "a restore archiving under the serverName it recovers from",
    args: [...stagingPlan, "--set", 'restore={"name":"r1","archiveServerName":{"platform":"platform-db"}}'],
    says: [
      /lockstep:restore\.archiveServerName\.platform = "platform-db": the recovered cluster platform-db-r1 would archive WAL under platform-db, the serverName it recovers from/,
      /never leaves "Setting up primary"/,
    ],
  },
  {
    what: "a restore whose source is its own new name",
    args: [...stagingPlan, "--set", 'restore={"name":"r1","source":{"identity":"keycloak-db-r1"}}'],
    says: [/lockstep:restore\.source\.identity = "keycloak-db-r1"/, /archive under a new serverName/],
  },
  {
    what: "a point in time that is not a timestamp",
    args: [...stagingPlan, "--set", 'restore={"name":"r1","targetTime":"2026-11-31T25:00:00Z"}'],
    says: [/lockstep:restore\.targetTime = "2026-11-31T25:00:00Z": must be an RFC 3339 timestamp with a zone/],
  },
  {
    what: "a point in time without a zone",
    args: [...stagingPlan, "--set", 'restore={"name":"r1","targetTime":"2026-11-20T10:00:00"}'],
    says: [/lockstep:restore\.targetTime = "2026-11-20T10:00:00": must be an RFC 3339 timestamp with a zone/],
  },
  {
    what: "a restore name too long for the cluster names",
    args: [...stagingPlan, "--set", 'restore={"name":"a-very-long-restore-name"}'],
    says: [/lockstep:restore\.name = "a-very-long-restore-name": must be a short DNS label \(at most 20 characters\)/],
  },
  {
    what: "a rollback from a release the stack does not run",
    args: [
      ...stagingPlan,
      "--deployed",
      "1.5.1",
      "--set",
      "release=1.5.0",
      "--set",
      "console.blue=1.5.0",
      "--set",
      'rollback={"from":"1.4.2","mode":"expand-only"}',
    ],
    says: [/lockstep:rollback\.from = "1\.4\.2", but this stack runs 1\.5\.1/],
  },
  {
    what: "an expand-only rollback of contract migrations",
    args: [
      ...stagingPlan,
      "--deployed",
      "1.5.1",
      "--set",
      "release=1.5.0",
      "--set",
      "console.blue=1.5.0",
      "--set",
      'rollback={"from":"1.5.1","mode":"expand-only"}',
    ],
    says: [
      /lockstep:rollback\.mode = "expand-only": release 1\.5\.1's migrations are contract/,
      /lockstep rollback --stack/,
    ],
  },
  {
    what: "a rollback with data and no restore",
    args: [
      ...stagingPlan,
      "--deployed",
      "1.5.1",
      "--set",
      "release=1.5.0",
      "--set",
      "console.blue=1.5.0",
      "--set",
      'rollback={"from":"1.5.1","mode":"restore"}',
    ],
    says: [/lockstep:rollback\.mode = "restore" needs lockstep:restore/],
  },
  {
    what: "a restore that starts beside an upgrade",
    args: [...stagingPlan, "--deployed", "1.5.0", "--set", 'restore={"name":"r1"}'],
    says: [/lockstep:restore\.name = "r1" starts a restore .* the window 1\.5\.0 -> 1\.5\.1 is an upgrade/],
  },
  {
    what: "a drill id with capitals",
    args: [...stagingPlan, "--set", 'restoreDrill={"id":"Nov-22"}'],
    says: [/lockstep:restoreDrill\.id = "Nov-22": must be a short DNS label/],
  },
  {
    what: "rollback with an unknown mode",
    args: ["rollback", "--stack", "staging", "--mode", "undo"],
    says: [/--mode "undo": must be one of restore, expand-only/],
  },
  {
    what: "restore with a malformed --backup-id",
    args: ["restore", "--stack", "staging", "--name", "r1", "--backup-id", "platform"],
    says: [/--backup-id "platform": expected <database>=<backupId>/],
  },
  {
    what: "an unknown flag",
    args: [...stagingPlan, "--deploy", "1.5.0"],
    says: [/unknown flag --deploy \(did you mean --deployed\?\)/],
  },
  {
    what: "a --set without =",
    args: [...stagingPlan, "--set", "release"],
    says: [/--set "release": expected key=value/],
  },
  {
    what: "plan without --stack",
    args: ["plan", "--deployed", "1.5.0"],
    says: [/--stack is required, like --stack staging/],
  },
  {
    what: "an unknown stack",
    args: ["plan", "--stack", "dev"],
    says: [/--stack dev: no Pulumi\.dev\.yaml .* known stacks: prod, staging/],
  },

  // catalog add, promote, preflight
  {
    what: "catalog add with a v-prefixed version",
    args: ["catalog", "add", "--version", "v1.6.0", ...IMAGES],
    says: [/--version "v1\.6\.0": must be an exact version x\.y\.z/],
  },
  {
    what: "catalog add requiring a config key that does not exist",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--require-config", "smok"],
    says: [
      /--require-config "smok": not a stack config key \(did you mean smoke\?\); a release that required it could never be planned/,
    ],
  },
  {
    what: "catalog add with a tag-only image",
    args: [
      "catalog",
      "add",
      "--version",
      "1.6.0",
      ...IMAGES.slice(2),
      "--image",
      "api=registry.example/aigw/api:1.6.0",
    ],
    says: [/field components\.api\.image = "registry\.example\/aigw\/api:1\.6\.0"/, /pinned by digest/],
  },
  {
    what: "catalog add with an unknown chart",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--chart", "grafana=1.0.0"],
    says: [/--chart grafana=\.\.\.: unknown chart; the charts are cnpgOperator, barmanCloudPlugin, identity, openbao/],
  },
  {
    what: "catalog add with a plugin that has no version",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--plugin", "rate-limit"],
    says: [/--plugin "rate-limit": expected key=value/],
  },
  {
    what: "catalog add with a plugin version that is not exact",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--plugin", "rate-limit=2.x"],
    says: [/field components\.gateway\.plugins\.rate-limit = "2\.x": must be an exact version/],
  },
  {
    what: "catalog add with an unknown migrations kind",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--migrations", "reversible"],
    says: [/--migrations "reversible": must be one of expand-only, contract/],
  },
  {
    what: "catalog add with an image that names no component",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--image", "=registry.example/aigw/api@" + digest("b")],
    says: [/--image "=registry\.example\/aigw\/api@sha256:b{64}": expected key=value/],
  },
  {
    what: "catalog add with an image without =",
    args: ["catalog", "add", "--version", "1.6.0", "--image", "api"],
    says: [/--image "api": expected key=value/],
  },
  {
    what: "catalog add with a chart image not of the form chart.image",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--chart-image", `openbao=r@${digest("c")}`],
    says: [
      /--chart-image openbao=\.\.\.: expected <chart>\.<image>, one of cnpgOperator\.operator, barmanCloudPlugin\.plugin, barmanCloudPlugin\.sidecar, identity\.keycloak, openbao\.server, observability\.server, observability\.configReloader$/m,
    ],
  },
  {
    what: "catalog add with a chart image the chart does not have",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--chart-image", `openbao.injector=r@${digest("c")}`],
    says: [/--chart-image openbao\.injector=\.\.\.: expected <chart>\.<image>/],
  },
  {
    what: "catalog add with a chart image of an unknown chart",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--chart-image", `grafana.server=r@${digest("c")}`],
    says: [/--chart-image grafana\.server=\.\.\.: expected <chart>\.<image>/],
  },
  {
    what: "catalog add with a Kubernetes range followed by more",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--kubernetes", "1.31-1.34.2"],
    says: [/--kubernetes "1\.31-1\.34\.2": expected <min>-<max> minors, like 1\.31-1\.34/],
  },
  {
    what: "catalog add with a Kubernetes range after other text",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--kubernetes", "v1.31-1.34"],
    says: [/--kubernetes "v1\.31-1\.34": expected <min>-<max> minors/],
  },
  {
    what: "catalog add with a fractional PostgreSQL major",
    args: ["catalog", "add", "--version", "1.6.0", ...IMAGES, "--postgres-major", "17.5"],
    says: [/--postgres-major "17\.5": expected a whole number like 17/],
  },
  {
    what: "catalog add from a file holding a list",
    setup: write("release.yaml", "- version: 1.6.0\n"),
    args: ["catalog", "add", "--version", "1.6.0", "--from-file", "FILE:release.yaml"],
    says: [/--from-file .*release\.yaml: must hold an object shaped like a release file$/m],
  },
  {
    what: "catalog add from a file holding a string",
    setup: write("release.yaml", "just text\n"),
    args: ["catalog", "add", "--version", "1.6.0", "--from-file", "FILE:release.yaml"],
    says: [/--from-file .*release\.yaml: must hold an object shaped like a release file$/m],
  },
  {
    what: "catalog add from a file that is not YAML",
    setup: write("release.yaml", "version: [1.6.0\n"),
    args: ["catalog", "add", "--version", "1.6.0", "--from-file", "FILE:release.yaml"],
    says: [/--from-file .*release\.yaml: [^\n]+$/m],
  },
  {
    what: "catalog add from a missing file",
    args: ["catalog", "add", "--version", "1.6.0", "--from-file", "FILE:nowhere.yaml"],
    says: [/--from-file .*nowhere\.yaml: no such file/],
  },
  // fleet export: refused on its flags before the backend is read
  {
    what: "fleet export without --operator",
    args: ["fleet", "export", "--to", "1.5.1", "--repo", "r", "--commit", "0".repeat(40)],
    says: [/--operator is required: the Pulumi Kubernetes Operator is the one export format/],
  },
  {
    what: "fleet export without --repo",
    args: ["fleet", "export", "--operator", "--to", "1.5.1", "--commit", "0".repeat(40)],
    says: [/--repo is required; see `lockstep fleet export --help`/],
  },
  {
    what: "fleet export without --to",
    args: ["fleet", "export", "--operator", "--repo", "r", "--commit", "0".repeat(40)],
    says: [/--to is required; see `lockstep fleet export --help`/],
  },
  {
    what: "fleet export with a commit SHA and more",
    args: ["fleet", "export", "--operator", "--to", "1.5.1", "--repo", "r", "--commit", `${"a".repeat(40)}0`],
    says: [/--commit "a{40}0": must be a full commit SHA \(40 hex digits\)/],
  },
  {
    what: "fleet export with a commit SHA after other text",
    args: ["fleet", "export", "--operator", "--to", "1.5.1", "--repo", "r", "--commit", `g${"a".repeat(40)}`],
    says: [/--commit "ga{40}": must be a full commit SHA/],
  },
  {
    what: "fleet export into a namespace that is not a label",
    args: [
      "fleet",
      "export",
      "--operator",
      "--to",
      "1.5.1",
      "--repo",
      "r",
      "--commit",
      "0".repeat(40),
      "--namespace",
      "Fleet_NS",
    ],
    says: [/--namespace "Fleet_NS": must be a DNS-1123 label/],
  },
  {
    what: "fleet export to a release not in the catalog",
    args: ["fleet", "export", "--operator", "--to", "1.9.9", "--repo", "r", "--commit", "0".repeat(40)],
    says: [/--to 1\.9\.9: not in the release catalog; available versions: 1\.3\.4, 1\.4\.2, 1\.5\.0, 1\.5\.1, 2\.0\.0/],
  },
  {
    what: "preflight with a zero backup age",
    args: ["preflight", "--stack", "staging", "--max-backup-age", "0"],
    says: [/--max-backup-age "0": expected a positive number of hours/],
  },
  {
    what: "preflight with a negative backup age, written apart from its flag",
    args: ["preflight", "--stack", "staging", "--max-backup-age", "-1"],
    says: [/^lockstep preflight: --max-backup-age "-1": expected a positive number of hours\n$/],
  },
  {
    what: "preflight with a flag where a value belongs",
    args: ["preflight", "--stack", "staging", "--max-backup-age", "--skip-plan"],
    says: [
      /^lockstep preflight: --max-backup-age needs a value, and the word after it is a flag; write --max-backup-age=<value>; see `lockstep preflight --help`\n$/,
    ],
  },
  {
    what: "fleet export into a folder that does not exist",
    args: [
      "fleet",
      "export",
      "--operator",
      "--to",
      "1.5.1",
      "--repo",
      "r",
      "--commit",
      "0".repeat(40),
      "--out",
      "FILE:nowhere/stacks.yaml",
    ],
    says: [/--out .*nowhere\/stacks\.yaml: the folder .*nowhere does not exist; create it first$/m],
  },
  {
    what: "fleet export onto a folder",
    args: [
      "fleet",
      "export",
      "--operator",
      "--to",
      "1.5.1",
      "--repo",
      "r",
      "--commit",
      "0".repeat(40),
      "--out",
      "FILE:releases",
    ],
    says: [/--out .*releases: is a folder; name a file in it, like .*releases\/stacks\.yaml$/m],
  },
  {
    what: "a right-to-left override in a value reaches the terminal escaped",
    args: ["plan", "--stack", "staging", "--set", "namespace=evil\u202etxt"],
    says: [/lockstep:namespace = "evil\\u\{202e\}txt"/],
  },
  {
    what: "a deployed record that matches neither form: the field that is wrong, not the root",
    setup: write("deployed.json", '{"release":"1.5.1","workloads":{"api":7}}'),
    args: ["plan", "--stack", "staging", "--deployed", "FILE:deployed.json"],
    says: [
      /deployed\.json: field workloads\.api: Invalid input: expected string, received number; expected \{release, workloads\}/,
    ],
  },
  {
    what: "preflight with a zero drill age",
    args: ["preflight", "--stack", "staging", "--max-drill-age", "0"],
    says: [/--max-drill-age "0": expected a positive number of days/],
  },
  {
    what: "preflight with a drill age that is not a number",
    args: ["preflight", "--stack", "staging", "--max-drill-age", "week"],
    says: [/--max-drill-age "week": expected a positive number of days/],
  },
  {
    what: "promote requiring a drill of zero days",
    args: ["promote", "--require-drill-days", "0"],
    says: [/--require-drill-days "0": expected a positive number of days/],
  },
  {
    what: "promote requiring a drill with no Pulumi CLI to read it",
    setup: write(
      "record.json",
      JSON.stringify({
        stack: "staging",
        version: "1.5.1",
        setDigest: `sha256:${"b".repeat(64)}`,
        smoke: "passed",
        verifiedAt: "2026-11-21T10:00:00Z",
      }),
    ),
    args: ["promote", "--record", "RECORD", "--require-drill-days", "7"],
    says: [
      /--require-drill-days needs prod's last restore drill from its stack outputs, and no Pulumi CLI is installed to read them/,
    ],
  },
  {
    what: "promote with a record file that does not exist",
    args: ["promote", "--record", "FILE:nowhere.json"],
    says: [/--record .*nowhere\.json: no such file$/m],
  },
  {
    what: "promote with a record that is a list",
    setup: write("record.json", "[]"),
    args: ["promote", "--record", "RECORD"],
    says: [/record\.json: field \(root\): /],
  },
  {
    what: "promote with a record missing its digest",
    setup: write(
      "record.json",
      JSON.stringify({ stack: "staging", version: "1.5.1", smoke: "passed", verifiedAt: "2026-11-21T10:00:00Z" }),
    ),
    args: ["promote", "--record", "RECORD"],
    says: [/record\.json: field setDigest: /],
  },
  {
    what: "restore without --stack",
    args: ["restore", "--name", "r1"],
    says: [/--stack is required, like --stack prod/],
  },
  { what: "rollback without --stack", args: ["rollback"], says: [/--stack is required, like --stack prod/] },
  {
    what: "restore with a --backup-id without an id",
    args: ["restore", "--stack", "staging", "--name", "r1", "--backup-id", "platform="],
    says: [
      /--backup-id "platform=": expected <database>=<backupId> with database one of platform, identity, like platform=20261120T101500/,
    ],
  },
  {
    what: "restore with an empty --databases list",
    args: ["restore", "--stack", "staging", "--name", "r1", "--databases", " , "],
    says: [/--databases " , ": expected a comma-separated list of platform, identity/],
  },
  {
    what: "promote from a stack to itself",
    args: ["promote", "--from", "prod", "--to", "prod"],
    says: [/--from and --to are both prod/],
  },
  {
    what: "promote with a record that is not JSON",
    setup: write("record.json", "{"),
    args: ["promote", "--record", "RECORD"],
    says: [/--record .*record\.json: not valid JSON/],
  },
  {
    what: "preflight with a negative backup age",
    args: ["preflight", "--stack", "staging", "--max-backup-age=-3"],
    says: [/--max-backup-age "-3": expected a positive number of hours/],
  },
  {
    what: "preflight to a release not in the catalog",
    args: ["preflight", "--stack", "staging", "--to", "9.9.9"],
    says: [/--to 9\.9\.9: not in the release catalog/],
  },
  // Each command names itself: in the help it points to, and in what it needs that this machine lacks.
  ...[
    "plan",
    "catalog add",
    "fleet status",
    "fleet needs-upgrade",
    "fleet upgrade",
    "fleet export",
    "preflight",
    "promote",
    "restore",
    "rollback",
  ].map((command): Case => ({
    what: `${command} with an unknown flag points to its own help`,
    args: [...command.split(" "), "--bogus"],
    says: [new RegExp(`unknown flag --bogus; see \`lockstep ${command} --help\`$`, "m")],
  })),
  ...[
    ["status"],
    ["needs-upgrade", "--to", "1.5.1"],
    ["upgrade", "--to", "1.5.1"],
    ["export", "--operator", "--to", "1.5.1", "--repo", "r", "--commit", "0".repeat(40)],
  ].map((args): Case => ({
    what: `fleet ${args[0]} without a Pulumi CLI names itself`,
    args: ["fleet", ...args],
    says: [
      new RegExp(`lockstep fleet ${args[0]} reads the fleet from the Pulumi backend, and no Pulumi CLI is installed`),
    ],
  })),
  {
    what: "fleet needs-upgrade without --to",
    args: ["fleet", "needs-upgrade"],
    says: [/--to is required, like --to 2\.0\.0$/m],
  },
  { what: "fleet upgrade without --to", args: ["fleet", "upgrade"], says: [/--to is required, like --to 2\.0\.0$/m] },
  {
    what: "fleet upgrade with --max-failures 0",
    args: ["fleet", "upgrade", "--to", "1.5.1", "--max-failures", "0"],
    says: [/--max-failures "0": expected a whole number of at least 1/],
  },
  {
    what: "fleet upgrade with a fractional --concurrency",
    args: ["fleet", "upgrade", "--to", "1.5.1", "--concurrency", "1.5"],
    says: [/--concurrency "1\.5": expected a whole number of at least 1/],
  },
  { what: "an unknown command", args: ["deploy"], says: [/unknown command "deploy"/] },
];

describe("bad input is refused with exit 2, one message, nothing written", () => {
  it(`covers at least 40 cases (${CASES.length})`, () => assert.ok(CASES.length >= 40));
  for (const c of CASES) {
    it(c.what, async () => {
      const dir = project();
      c.setup?.(dir);
      const before = tree(dir);
      let stdout = "";
      let stderr = "";
      const args = c.args.map((a) =>
        a === "RECORD" ? path.join(dir, "record.json") : a.startsWith("FILE:") ? path.join(dir, a.slice(5)) : a,
      );
      const code = await main(args, env(dir), {
        out: (t) => {
          stdout += t;
        },
        err: (t) => {
          stderr += t;
        },
      });
      assert.equal(code, 2, `exit code; stderr: ${stderr}; stdout: ${stdout.slice(0, 300)}`);
      for (const part of c.says) assert.match(stderr, part);
      assert.equal(stdout, "", "nothing on stdout");
      assert.deepEqual(tree(dir), before, "no file was written or changed");
    });
  }
});
