/** The shared zod pieces (lib/release/schemas.ts): booleans and whole numbers as `pulumi config set` stores them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boolish, wholeNumber } from "../../lib/release/schemas";

describe("boolish", () => {
  it("takes true and false, as booleans or as the strings the CLI stores, and nothing else", () => {
    const schema = boolish();
    assert.deepEqual(
      [schema.parse(true), schema.parse(false), schema.parse("true"), schema.parse("false")],
      [true, false, true, false],
    );
    for (const bad of ["yes", "True", "", "1", 1, null]) {
      const result = schema.safeParse(bad);
      assert.equal(result.success, false, JSON.stringify(bad));
      assert.equal(result.error?.issues[0].message, "must be true or false");
    }
    assert.equal(boolish("must be on or off").safeParse("on").error?.issues[0].message, "must be on or off");
  });
});

describe("wholeNumber", () => {
  const schema = {
    parse: (v: unknown) => wholeNumber(-5, 100).parse(v),
    safeParse: (v: unknown) => wholeNumber(-5, 100).safeParse(v),
  };
  it("takes whole numbers in range, also as decimal strings with spaces around", () => {
    assert.deepEqual(
      [schema.parse(42), schema.parse("42"), schema.parse(" 42 "), schema.parse("-5"), schema.parse("100")],
      [42, 42, 42, -5, 100],
    );
  });

  it("refuses other text, fractions and numbers out of range with one message naming the range", () => {
    for (const bad of ["4x", "x4", "4 2", "1e2", "4.5", 4.5, "101", -6, "", "--4"]) {
      const result = schema.safeParse(bad);
      assert.equal(result.success, false, JSON.stringify(bad));
      assert.equal(result.error?.issues[0].message, "must be a whole number from -5 to 100", JSON.stringify(bad));
    }
  });
});
