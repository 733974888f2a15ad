import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { users } from "./users";

/**
 * Approvers' passkey public keys, by WebAuthn credential id: what the hub checks a signed decision
 * against, and what it shows the approver (with its fingerprint) for their Trust's IT to enrol in
 * the site policy. Registration in the browser writes rows here; the private key never leaves the
 * authenticator.
 */
export const approverKeys = pgTable(
  "approver_keys",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** base64url, as navigator.credentials returns it. */
    credentialId: text("credential_id").notNull().unique(),
    /** The public key as registered (COSE base64url, or SPKI), kept as given. */
    publicKey: text("public_key").notNull(),
    /** SHA-256 of the key's SPKI DER, lowercase hex. */
    fingerprint: text("fingerprint").notNull(),
    algorithm: text("algorithm").$type<"ES256" | "RS256" | "EdDSA">().notNull(),
    label: text("label").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("approver_keys_user_idx").on(t.userId)],
);

export type ApproverKey = typeof approverKeys.$inferSelect;
