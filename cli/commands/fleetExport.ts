/** `lockstep fleet export --operator`: the fleet as Pulumi Kubernetes Operator Stack objects. */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { loadCatalog } from "../../lib/release/catalog";
import { LockstepInputError } from "../../lib/core/errors";
import { renderOperatorStacks, TOKEN_KEYS } from "../../lib/fleet/operatorExport";
import { dnsLabel } from "../../lib/release/schemas";
import { parseCommandArgs } from "../args";
import type { CliEnv, CommandResult } from "../env";
import { readFleet, requireFleetBackend } from "../fleetInventory";
import { installUpdates, verifiedRecord } from "./fleetUpgrade";

export const FLEET_EXPORT_HELP = `Usage: lockstep fleet export --operator --to <version> --repo <git url> --commit <sha>
                            [--namespace <ns>] [--tokens-secret <name>] [--repo-dir <dir>] [--out <file>] [--json]

Renders the fleet for the Pulumi Kubernetes Operator (v2), for when one machine running fleet upgrade is
not enough: one pulumi.com/v1 Stack per install at <version>, from this project's repository at one
commit, with its config (release, promotion record, console colors) over the checked-in stack file,
envRefs for the tokens, refresh, and prerequisites that encode the ring order (each ring waits for every
install of the ring before to have succeeded within 24 h) and the verified-first rule (the first ring
waits for the verifying stack, rendered too). Each Stack's workspace requests CPU, memory and ephemeral
storage. Apply the YAML with kubectl; the operator runs the rings in order.

  --operator              render Pulumi Kubernetes Operator objects (the only format)
  --to <version>          the release every install moves to (required; verified in fleet.yaml verifiedIn)
  --repo <git url>        the repository of this project (required)
  --commit <sha>          the commit to run, 40 hex digits (required: installs run exactly what was tested)
  --namespace <ns>        namespace of the Stack objects (default pulumi-fleet)
  --tokens-secret <name>  Secret with ${TOKEN_KEYS.join(", ")} (default lockstep-tokens)
  --repo-dir <dir>        folder of the project in the repository (default .)
  --out <file>            write the YAML there instead of printing it
  --json                  print one JSON object
  -h, --help              show this help`;

export async function fleetExport(argv: string[], env: CliEnv): Promise<CommandResult> {
  const values = parseCommandArgs("fleet export", argv, {
    operator: { type: "boolean", default: false },
    to: { type: "string" },
    repo: { type: "string" },
    commit: { type: "string" },
    namespace: { type: "string", default: "pulumi-fleet" },
    "tokens-secret": { type: "string", default: "lockstep-tokens" },
    "repo-dir": { type: "string" },
    out: { type: "string" },
  });
  if (!values.operator)
    throw new LockstepInputError("--operator is required: the Pulumi Kubernetes Operator is the one export format");
  // Where it writes is checked before the backend is asked anything.
  if (values.out) checkOut(path.resolve(values.out));
  for (const flag of ["to", "repo", "commit"] as const) {
    if (!values[flag]) throw new LockstepInputError(`--${flag} is required; see \`lockstep fleet export --help\``);
  }
  const commit = values.commit as string;
  if (!/^[0-9a-f]{40}$/.test(commit))
    throw new LockstepInputError(
      `--commit ${JSON.stringify(commit)}: must be a full commit SHA (40 hex digits), so every install runs exactly the tested program`,
    );
  const namespace = values.namespace;
  if (!dnsLabel.safeParse(namespace).success)
    throw new LockstepInputError(`--namespace ${JSON.stringify(namespace)}: must be a DNS-1123 label`);
  const to = values.to as string;
  const catalog = loadCatalog(env.catalogDir);
  if (!catalog.releases.has(to))
    throw new LockstepInputError(
      `--to ${to}: not in the release catalog; available versions: ${catalog.versions.join(", ")}`,
    );
  const backend = requireFleetBackend(env, "export");
  const fleet = await readFleet(backend, env);
  const record = await verifiedRecord(backend, fleet.file.verifiedIn);
  if (record.version !== to || record.smoke !== "passed") {
    throw new LockstepInputError(
      `--to ${to}: ${fleet.file.verifiedIn} verified ${record.version} (smoke ${record.smoke}); export only a set its verifying stack passed`,
    );
  }
  const configOf = (stack: string) => {
    const decided = installUpdates(stack, record, fleet.file.verifiedIn, catalog, env);
    if (!decided.ok) throw new LockstepInputError(`stack ${stack}: ${decided.reasons.join("; ")}`);
    return Object.fromEntries(
      Object.entries(decided.updates)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [`lockstep:${k}`, v]),
    );
  };
  const options = {
    namespace,
    repo: values.repo as string,
    commit,
    repoDir: values["repo-dir"],
    tokensSecret: values["tokens-secret"],
  };
  const objects = renderOperatorStacks(
    { stack: fleet.file.verifiedIn, ring: "verification", config: { "lockstep:release": to } },
    fleet.installs.map((i) => ({ stack: i.stack, ring: i.ring, config: configOf(i.stack) })),
    fleet.file.rings,
    options,
  );
  const yaml = objects.map((o) => stringify(o)).join("---\n");
  if (values.out) fs.writeFileSync(path.resolve(values.out), yaml);
  const summary = `${objects.length} Stack object(s) for ${to}: ${fleet.file.verifiedIn} first, then rings ${fleet.file.rings.join(" -> ")}${values.out ? `; wrote ${values.out}` : ""}`;
  return {
    exitCode: 0,
    human: values.out ? summary : yaml.trimEnd(),
    json: { to, objects, ...(values.out ? { file: values.out } : {}) },
  };
}

/** Refuses an --out in a folder that does not exist, or one that is a folder. */
function checkOut(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir))
    throw new LockstepInputError(`--out ${file}: the folder ${dir} does not exist; create it first`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory())
    throw new LockstepInputError(
      `--out ${file}: is a folder; name a file in it, like ${path.join(file, "stacks.yaml")}`,
    );
}
