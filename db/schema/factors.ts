import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { bytea } from "./models";
import { userSessions } from "./sessions";
import { users } from "./users";

export const FACTOR_KINDS = ["totp", "passkey"] as const;
export type FactorKind = (typeof FACTOR_KINDS)[number];

/**
 * A person's second factors: authenticator apps (TOTP) and passkeys (WebAuthn credentials). A TOTP
 * factor counts once `confirmedAt` is set (the person has typed a first code from it).
 */
export const authFactors = pgTable(
  "auth_factors",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: FACTOR_KINDS }).notNull(),
    /** The person's own name for it: "Work phone", "YubiKey 5C". */
    label: text("label").notNull(),
    createdAt: createdAt(),
    confirmedAt: timestamp("confirmed_at", { withTimezone: true, mode: "date" }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    /** TOTP: the shared secret, encrypted at rest with the hub's factor key. */
    totpSecretEncrypted: text("totp_secret_encrypted"),
    /** TOTP: the last 30-second step accepted, so a code is never accepted twice. */
    totpLastStep: integer("totp_last_step"),
    /** Passkey: the credential id (base64url), its COSE public key and signature counter. */
    credentialId: text("credential_id"),
    publicKey: bytea("public_key"),
    signCount: integer("sign_count"),
    transports: text("transports").array(),
  },
  (t) => [
    index("auth_factors_user_idx").on(t.userId),
    uniqueIndex("auth_factors_credential_key").on(t.credentialId),
    check(
      "auth_factors_kind_fields",
      sql`(${t.kind} = 'totp' AND ${t.totpSecretEncrypted} IS NOT NULL) OR (${t.kind} = 'passkey' AND ${t.credentialId} IS NOT NULL AND ${t.publicKey} IS NOT NULL)`,
    ),
  ],
);

/** One-time recovery codes, stored hashed; a used code has `usedAt`. */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: createdAt(),
    usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

export const CHALLENGE_PURPOSES = [
  "passkey_register",
  "passkey_sign_in",
  "second_factor",
  "approval_signature",
] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

/**
 * WebAuthn challenges the hub issued and has not yet seen answered: each is used once, before it
 * expires, for the purpose (and session, where there is one) it was issued for.
 */
export const authChallenges = pgTable(
  "auth_challenges",
  {
    id: id(),
    purpose: text("purpose", { enum: CHALLENGE_PURPOSES }).notNull(),
    challenge: text("challenge").notNull(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id").references(() => userSessions.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("auth_challenges_challenge_key").on(t.challenge)],
);
