/** What counts as a secret (lib/security/secrets.ts): encrypted stack values, and plaintext credentials by value or by field name. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isEncryptedValue, plaintextSecrets, SECRET_PLACEHOLDER } from "../../lib/security/secrets";

describe("isEncryptedValue", () => {
  it("is exactly an object with one string field secure", () => {
    assert.equal(isEncryptedValue({ secure: "v1:abc" }), true);
    for (const other of [
      { secure: "v1:abc", note: "x" },
      { secure: 5 },
      {},
      null,
      "v1:abc",
      "s",
      ["v1:abc"],
      [{ secure: "v1:abc" }],
    ]) {
      assert.equal(isEncryptedValue(other), false, JSON.stringify(other));
    }
  });
});

describe("plaintextSecrets", () => {
  const key = "sk-aaaaaaaaaaaaaaaaaaaaaaaa";
  it("finds a credential by its value anywhere, with the path to it through objects and lists", () => {
    assert.deepEqual(plaintextSecrets({ a: { list: ["plain", key] }, b: 5, c: true, d: null }, false), [
      ["a", "list", "1"],
    ]);
    assert.deepEqual(plaintextSecrets(key, false), [[]]);
  });

  it("by field name only where asked, and not for an empty value, the placeholder, or a field that names a secret", () => {
    assert.deepEqual(plaintextSecrets({ adminPassword: "hunter2" }, false), []);
    assert.deepEqual(plaintextSecrets({ adminPassword: "hunter2", apiToken: "t" }, true), [
      ["adminPassword"],
      ["apiToken"],
    ]);
    assert.deepEqual(plaintextSecrets({ adminPassword: "" }, true), []);
    assert.deepEqual(plaintextSecrets({ adminPassword: SECRET_PLACEHOLDER }, true), []);
    assert.deepEqual(plaintextSecrets({ existingSecretPassword: "vault-creds", passwordFile: "/run/pw" }, true), []);
  });

  it("an env-var pair whose name says secret holds one in its value, string or number, once", () => {
    const env = (name: string, value: unknown) => plaintextSecrets({ extraEnv: [{ name, value }] }, true);
    assert.deepEqual(env("KC_DB_PASSWORD", "hunter2"), [["extraEnv", "0", "value"]]);
    assert.deepEqual(env("ADMIN_TOKEN", 48213377), [["extraEnv", "0", "value"]]);
    assert.deepEqual(env("OPENAI_API_KEY", key), [["extraEnv", "0", "value"]], "found by name and by value: once");
  });

  it("not for a pair whose name says nothing, whose value is empty, the placeholder or not a scalar, nor by name unasked", () => {
    const env = (name: string, value: unknown, byName = true) =>
      plaintextSecrets({ extraEnv: [{ name, value }] }, byName);
    assert.deepEqual(env("KC_DB_HOST", "db.internal"), []);
    assert.deepEqual(env("KC_DB_PASSWORD", ""), []);
    assert.deepEqual(env("KC_DB_PASSWORD", SECRET_PLACEHOLDER), []);
    assert.deepEqual(env("KC_DB_PASSWORD", true), []);
    assert.deepEqual(env("KC_DB_PASSWORD", { valueFrom: "secret" }), []);
    assert.deepEqual(env("KC_DB_PASSWORD", "hunter2", false), [], "only free-form values are read by name");
    assert.deepEqual(
      env("KC_DB_PASSWORD", key, false),
      [["extraEnv", "0", "value"]],
      "a value that looks like one still is",
    );
  });
});
