import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ApprovalStatement } from "../signed-approval";
import {
  createSoftwareAuthenticator,
  TEST_PORTAL_ORIGIN,
  TEST_RP_ID,
} from "@/workers/test-support/software-authenticator";
import { parsePublicKey } from "./public-key";
import { formatFingerprint, normaliseFingerprint } from "./fingerprint";
import { verifyApprovalAssertion } from "./verify-assertion";

const POLICY = { origins: [TEST_PORTAL_ORIGIN], rpIds: [TEST_RP_ID] };
const statement = (over: Partial<ApprovalStatement> = {}): ApprovalStatement => ({
  bundleHash: "a".repeat(64),
  revisionId: "0b6f3c4e-8f0a-4a39-9d55-3f7c2f4e1a01",
  projectId: "5d1c2b3a-1111-4a39-9d55-3f7c2f4e1a02",
  siteCode: "KCH",
  decision: "approved",
  decidedAt: "2026-12-06T10:00:00.000Z",
  ...over,
});

describe("approval signatures", () => {
  for (const algorithm of ["ES256", "EdDSA", "RS256"] as const) {
    it(`accepts an ${algorithm} assertion over the statement by an enrolled key, given as SPKI or COSE`, () => {
      const authenticator = createSoftwareAuthenticator(algorithm);
      const fromSpki = parsePublicKey(authenticator.spkiBase64);
      const fromCose = parsePublicKey(authenticator.coseBase64url);
      const fromPem = parsePublicKey(authenticator.spkiPem);
      expect(fromSpki.algorithm).toBe(algorithm);
      expect(fromCose.fingerprint).toBe(fromSpki.fingerprint);
      expect(fromPem.fingerprint).toBe(fromSpki.fingerprint);
      const assertion = authenticator.signApproval(statement());
      const check = verifyApprovalAssertion(statement(), assertion, [fromCose], POLICY);
      expect(check).toEqual({ ok: true, key: fromCose });
    });
  }

  it("names the key that signed among several enrolled ones", () => {
    const [a, b] = [createSoftwareAuthenticator(), createSoftwareAuthenticator()];
    const keys = [parsePublicKey(a.spkiBase64), parsePublicKey(b.spkiBase64)];
    const check = verifyApprovalAssertion(statement(), b.signApproval(statement()), keys, POLICY);
    expect(check.ok && check.key.fingerprint).toBe(keys[1]!.fingerprint);
  });

  const authenticator = createSoftwareAuthenticator();
  const keys = [parsePublicKey(authenticator.spkiBase64)];
  const refusals: [string, () => ReturnType<typeof verifyApprovalAssertion>, string][] = [
    [
      "another site",
      () =>
        verifyApprovalAssertion(statement({ siteCode: "GSTT" }), authenticator.signApproval(statement()), keys, POLICY),
      "the signature is for another statement (bundle, revision, project, site, decision or time)",
    ],
    [
      "another revision",
      () =>
        verifyApprovalAssertion(
          statement({ revisionId: randomUUID() }),
          authenticator.signApproval(statement()),
          keys,
          POLICY,
        ),
      "the signature is for another statement (bundle, revision, project, site, decision or time)",
    ],
    [
      "a declined decision presented as approved",
      () =>
        verifyApprovalAssertion(
          statement(),
          authenticator.signApproval(statement({ decision: "declined" })),
          keys,
          POLICY,
        ),
      "the signature is for another statement (bundle, revision, project, site, decision or time)",
    ],
    [
      "another origin",
      () =>
        verifyApprovalAssertion(
          statement(),
          authenticator.signApproval(statement(), { origin: "https://evil.example" }),
          keys,
          POLICY,
        ),
      "it was signed on https://evil.example, not an allowed portal origin",
    ],
    [
      "another relying party",
      () =>
        verifyApprovalAssertion(
          statement(),
          authenticator.signApproval(statement(), { rpId: "evil.example" }),
          keys,
          POLICY,
        ),
      "the authenticator data is for another relying party",
    ],
    [
      "a registration instead of an assertion",
      () =>
        verifyApprovalAssertion(
          statement(),
          authenticator.signApproval(statement(), { type: "webauthn.create" }),
          keys,
          POLICY,
        ),
      "the client data is not a webauthn.get",
    ],
    [
      "no user verification",
      () =>
        verifyApprovalAssertion(statement(), authenticator.signApproval(statement(), { flags: 0x01 }), keys, POLICY),
      "the user was not verified (PIN or biometric)",
    ],
    [
      "no user presence",
      () =>
        verifyApprovalAssertion(statement(), authenticator.signApproval(statement(), { flags: 0x04 }), keys, POLICY),
      "the user was not present",
    ],
    [
      "a key nobody enrolled",
      () => verifyApprovalAssertion(statement(), createSoftwareAuthenticator().signApproval(statement()), keys, POLICY),
      "the signature is by none of the enrolled approvers' keys",
    ],
    [
      "an edited authenticator data",
      () => {
        const assertion = authenticator.signApproval(statement());
        const data = Buffer.from(assertion.authenticatorData, "base64url");
        data[36] = data[36]! ^ 1;
        return verifyApprovalAssertion(
          statement(),
          { ...assertion, authenticatorData: data.toString("base64url") },
          keys,
          POLICY,
        );
      },
      "the signature is by none of the enrolled approvers' keys",
    ],
  ];
  for (const [what, check, reason] of refusals) {
    it(`refuses ${what}`, () => {
      expect(check()).toEqual({ ok: false, reason });
    });
  }
});

describe("approver public keys", () => {
  it("shows fingerprints in groups of four and reads them back however they were pasted", () => {
    const key = parsePublicKey(createSoftwareAuthenticator().spkiBase64);
    const shown = formatFingerprint(key.fingerprint);
    expect(shown).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    expect(normaliseFingerprint(shown.toUpperCase())).toBe(key.fingerprint);
    expect(normaliseFingerprint(shown.replace(/ /g, ":"))).toBe(key.fingerprint);
    expect(normaliseFingerprint("abcd")).toBeNull();
  });

  it("refuses keys that are not passkey keys, saying what is accepted", () => {
    expect(() => parsePublicKey("not a key!")).toThrow("it is neither a PEM public key nor base64 or base64url");
    expect(() => parsePublicKey(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]).toString("base64"))).toThrow(
      "it does not decode as a public key",
    );
    expect(() => parsePublicKey(Buffer.from([0xa1, 0x01, 0x09]).toString("base64url"))).toThrow(
      "the COSE key type is not EC2, OKP or RSA",
    );
  });
});
