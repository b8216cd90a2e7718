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
});
