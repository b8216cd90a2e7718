/**
 * The smoke verification: what the stack configures (`lockstep:smoke`) and the plan one run of it
 * follows. The program turns the stack's settings into a plan per stage (after the gateway wave, before
 * the console flip, at the end); `lockstep smoke` runs a plan. Pure, so both share one schema.
 */
import { z } from "zod";
import { absoluteUrl, exactVersion, setDigestString, wholeNumber } from "../release/schemas";

const envName = (example: string) =>
  z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: `must be an environment variable name like ${example}` });

const urlPath = z.string().regex(/^\/[^\s?#]*$/, { message: "must be a path starting with / like /dashboard" });

/** The platform's admin API, as lockstep calls it with the admin token (Keeptrusts 001's checks). */
const adminApiSchema = z.strictObject({
  /** Answers `{"workers":[{"name":"export","status":"running"},…]}`. */
  workersStatusPath: urlPath.default("/v1/admin/workers/status"),
  /** Answers `{"count": <events ingested>}`. */
  eventCountPath: urlPath.default("/v1/admin/events/count"),
  /** POST starts an export job (`{"id"}`); GET `<path>/<id>` answers `{"status"}`. */
  exportsPath: urlPath.default("/v1/admin/exports"),
});

const signInSchema = z
  .strictObject({
    /** The identity provider's realm, e.g. https://id.example.com/realms/platform (its OIDC discovery answers there). */
    issuerUrl: absoluteUrl,
    clientId: z.string().min(1, { message: "must name the OIDC client the smoke test signs in with" }),
    clientSecretEnv: envName("LOCKSTEP_SMOKE_CLIENT_SECRET").default("LOCKSTEP_SMOKE_CLIENT_SECRET"),
    /** With passwordEnv: a password grant as this user; without both, the client's own credentials. */
    usernameEnv: envName("LOCKSTEP_SMOKE_USERNAME").optional(),
    passwordEnv: envName("LOCKSTEP_SMOKE_PASSWORD").optional(),
    /** A console path that answers 200 only to a signed-in request. */
    checkPath: urlPath.default("/api/me"),
  })
  .refine((s) => (s.usernameEnv === undefined) === (s.passwordEnv === undefined), {
    message: "usernameEnv and passwordEnv go together (a password grant), or neither (client credentials)",
    path: ["passwordEnv"],
  });

/** `lockstep:smoke` in a stack file. */
export const smokeSchema = z.strictObject({
  gatewayUrl: absoluteUrl,
  /** A prompt the platform's guardrail policy must block. */
  blockedPrompt: z.string().min(1, { message: "must be a non-empty prompt" }),
  expectedStatus: wholeNumber(100, 599, "must be an HTTP status from 100 to 599").default(409),
  apiUrl: absoluteUrl.optional(),
  consoleUrl: absoluteUrl.optional(),
  /** Name of the environment variable holding the gateway's bearer token. */
  tokenEnv: envName("LOCKSTEP_SMOKE_TOKEN").default("LOCKSTEP_SMOKE_TOKEN"),
  /** Name of the environment variable holding the admin API's token; the sign-in token when it is empty. */
  adminTokenEnv: envName("LOCKSTEP_ADMIN_TOKEN").default("LOCKSTEP_ADMIN_TOKEN"),
  signIn: signInSchema.optional(),
  /** The console pages that must answer 200, signed in when signIn is set. */
  consolePages: z.array(urlPath).default(["/dashboard"]),
  /**
   * Each console color's own address, with `{color}` for blue or green, e.g.
   * https://console-{color}.internal.example.com. The color going live is checked there before the flip.
   */
  consolePreviewUrl: z
    .string()
    .refine((s) => s.includes("{color}") && absoluteUrl.safeParse(s.replaceAll("{color}", "green")).success, {
      message: "must be an absolute URL with {color} in it, like https://console-{color}.internal.example.com",
    })
    .optional(),
  /** Where a console build answers the settings it was built with (`{"apiUrl","gatewayUrl"}`). */
  consoleSettingsPath: urlPath.default("/api/config"),
  adminApi: adminApiSchema.default({
    workersStatusPath: "/v1/admin/workers/status",
    eventCountPath: "/v1/admin/events/count",
    exportsPath: "/v1/admin/exports",
  }),
  /** How long ingestion and an export job may take to show. */
  waitSeconds: wholeNumber(1, 600).default(60),
  /** Where a passed smoke test writes its verification record (read by `lockstep promote --record`). */
  recordFile: z.string().min(1).optional(),
});

export type SmokeConfig = z.infer<typeof smokeSchema>;

/**
 * When a plan runs: after the gateway wave (the gateway answers and enforces policy), before the console
 * flip (the color going live, at its own address), and at the end (everything, and the record).
 */
export const SMOKE_STAGES = ["gateways", "console-flip", "final"] as const;
export type SmokeStage = (typeof SMOKE_STAGES)[number];

/** The background workers the status endpoint must report healthy. */
export const SMOKE_WORKERS = ["export", "lifecycle", "config"] as const;

const RETRY_DELAY_SECONDS = 3;

/** One run of the smoke test, as the program hands it to `bin/cli/smoke.js` (LOCKSTEP_SMOKE_PLAN). */
export const smokePlanSchema = z
  .strictObject({
    stage: z.enum(SMOKE_STAGES),
    stack: z.string().min(1),
    release: exactVersion,
    setDigest: setDigestString,
    smoke: smokeSchema,
    /** Before the flip: the color going live and its address. */
    flip: z.strictObject({ color: z.enum(["blue", "green"]), url: absoluteUrl }).optional(),
    /** Seconds between attempts of a request check (5 attempts). */
    retryDelaySeconds: z.number().min(0).default(RETRY_DELAY_SECONDS),
  })
  .refine((p) => p.stage !== "console-flip" || p.flip !== undefined, {
    message: "must be set for the console-flip stage: the color going live and its address",
    path: ["flip"],
  });

export type SmokePlan = z.infer<typeof smokePlanSchema>;

export interface SmokePlanArgs {
  stack: string;
  release: string;
  setDigest: string;
  smoke: SmokeConfig;
}

/** The plan of one stage; the flip stage takes the color going live. */
export function smokePlan(stage: SmokeStage, args: SmokePlanArgs, color?: "blue" | "green"): SmokePlan {
  const preview = args.smoke.consolePreviewUrl;
  if (stage === "console-flip" && (!color || !preview)) {
    throw new Error("the console-flip smoke stage needs the color going live and lockstep:smoke.consolePreviewUrl");
  }
  return {
    stage,
    stack: args.stack,
    release: args.release,
    setDigest: args.setDigest,
    smoke: args.smoke,
    ...(stage === "console-flip" && color && preview
      ? { flip: { color, url: preview.replaceAll("{color}", color) } }
      : {}),
    retryDelaySeconds: RETRY_DELAY_SECONDS,
  };
}
