/** Cron schedules (CloudNativePG's six fields, seconds first) and Gateway API hostnames, case by case. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cronProblem, isHostname } from "../../lib/config/formats";

describe("cronProblem", () => {
  it("accepts six-field schedules: numbers at their bounds, lists, ranges, steps, names in any case, ? in the day fields", () => {
    for (const ok of [
      "0 0 2 * * *",
      "59 59 23 31 12 6",
      "0 0 0 1 1 0",
      " 0 0 2 * * * ",
      "0\t0  2 * * *",
      "0 */15 1-5 ? * MON-FRI",
      "0 0,30 2 * jan,Dec sun",
      "0 0 2 ? * *",
      "0 0 2 * * ?",
      "0 0-59/5 * * * *",
      "0 0 2 1-31/2 * *",
      "5 0 12 * * *",
    ]) {
      assert.equal(cronProblem(ok), undefined, ok);
    }
  });

  it("refuses the wrong number of fields, saying how many it got", () => {
    assert.equal(
      cronProblem("0 2 * * *"),
      'must be a six-field cron expression (seconds first), like "0 0 2 * * *", not 5 fields',
    );
    assert.equal(
      cronProblem("0 0 2 * * * 2026"),
      'must be a six-field cron expression (seconds first), like "0 0 2 * * *", not 7 fields',
    );
  });

  it("refuses a value outside its field, naming the field, its range and, where it has them, its names", () => {
    assert.equal(cronProblem("60 0 2 * * *"), 'the second field "60" must be within 0-59');
    assert.equal(cronProblem("0 60 2 * * *"), 'the minute field "60" must be within 0-59');
    assert.equal(cronProblem("0 0 24 * * *"), 'the hour field "24" must be within 0-23');
    assert.equal(cronProblem("0 0 2 0 * *"), 'the day of month field "0" must be within 1-31');
    assert.equal(cronProblem("0 0 2 32 * *"), 'the day of month field "32" must be within 1-31');
    assert.equal(cronProblem("0 0 2 * 13 *"), 'the month field "13" must be within 1-12 (or JAN-DEC)');
    assert.equal(cronProblem("0 0 2 * * 7"), 'the day of week field "7" must be within 0-6 (or SUN-SAT)');
    assert.equal(cronProblem("0 0 2 * * FUN"), 'the day of week field "FUN" must be within 0-6 (or SUN-SAT)');
  });

  it("maps names to numbers from the field's minimum, so a named range is checked in order", () => {
    assert.equal(cronProblem("0 0 2 * FEB-JAN *"), 'the month field "FEB-JAN" must be within 1-12 (or JAN-DEC)');
    assert.equal(cronProblem("0 0 2 * * SAT-SUN"), 'the day of week field "SAT-SUN" must be within 0-6 (or SUN-SAT)');
    assert.equal(cronProblem("0 0 2 * DEC *"), undefined);
    assert.equal(cronProblem("0 0 2 * * 6-6"), undefined);
  });

  it("refuses a backward range, text where a number goes, and partial numbers", () => {
    assert.equal(cronProblem("0 0 5-2 * * *"), 'the hour field "5-2" must be within 0-23');
    assert.equal(cronProblem("0 0 x2 * * *"), 'the hour field "x2" must be within 0-23');
    assert.equal(cronProblem("0 0 2x * * *"), 'the hour field "2x" must be within 0-23');
    assert.equal(cronProblem("0 0 12x * * *"), 'the hour field "12x" must be within 0-23');
    assert.equal(cronProblem("0 0 1,25 * * *"), 'the hour field "1,25" must be within 0-23');
    assert.equal(cronProblem("0 0 - * * *"), 'the hour field "-" must be within 0-23');
    assert.equal(
      cronProblem("0 0 1e1 * * *"),
      'the hour field "1e1" must be within 0-23',
      "a number JavaScript reads, not cron",
    );
    assert.equal(cronProblem("0 0 0x1 * * *"), 'the hour field "0x1" must be within 0-23');
  });

  it("refuses ? outside the day fields", () => {
    assert.equal(cronProblem("? 0 2 * * *"), 'the second field "?" must be within 0-59');
    assert.equal(cronProblem("0 0 ? * * *"), 'the hour field "?" must be within 0-23');
    assert.equal(cronProblem("0 0 2 * ? *"), 'the month field "?" must be within 1-12 (or JAN-DEC)');
  });

  it("refuses a step that is not a positive whole number", () => {
    assert.equal(cronProblem("0 */0 2 * * *"), 'the step "0" of the minute field must be a positive whole number');
    assert.equal(cronProblem("0 */x 2 * * *"), 'the step "x" of the minute field must be a positive whole number');
    assert.equal(cronProblem("0 */1x 2 * * *"), 'the step "1x" of the minute field must be a positive whole number');
    assert.equal(cronProblem("0 */x1 2 * * *"), 'the step "x1" of the minute field must be a positive whole number');
    assert.equal(cronProblem("0 */ 2 * * *"), 'the step "" of the minute field must be a positive whole number');
    assert.equal(cronProblem("0 */1e1 2 * * *"), 'the step "1e1" of the minute field must be a positive whole number');
    assert.equal(cronProblem("0 */0x2 2 * * *"), 'the step "0x2" of the minute field must be a positive whole number');
    assert.equal(cronProblem("0 */15 2 * * *"), undefined);
  });
});

describe("isHostname", () => {
  it("accepts lowercase RFC 1123 names and one leading wildcard label", () => {
    for (const ok of [
      "gw.example.com",
      "a",
      "a-b.c0",
      "*.example.com",
      `${"a".repeat(63)}.example`,
      `${"a.".repeat(126)}a`,
    ])
      assert.equal(isHostname(ok), true, ok);
  });

  it("refuses empty names, names over 253 characters, bad labels anywhere and a wildcard not in front", () => {
    for (const bad of [
      "",
      "*.",
      "Gw.example.com",
      "gw.example.com.",
      "-gw.example.com",
      "gw-.example.com",
      "gw.-x.com",
      "gw..com",
      "gw_1.example.com",
      "x.gw.example.com/",
      `${"a".repeat(64)}.example`,
      `${"a.".repeat(126)}ab`,
      "example.*.com",
      "gw.example.*",
      "*example.com",
      "**.example.com",
      "example.com*.",
      " gw.example.com",
    ]) {
      assert.equal(isHostname(bad), false, JSON.stringify(bad));
    }
  });
});
