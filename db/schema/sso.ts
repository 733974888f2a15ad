import { index, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { users } from "./users";

/**
 * A person's identity at an OpenID provider, linked to their FLIP account on their first SSO sign-in
 * (matched by verified e-mail). Later sign-ins match by (issuer, subject), so a changed e-mail at the
 * provider still reaches the same account; one account has at most one identity per issuer.
 */
export const ssoIdentities = pgTable(
  "sso_identities",
  {
    id: id(),
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // The verified e-mail that matched the account when the link was made.
    linkedEmail: text("linked_email").notNull(),
    createdAt: createdAt(),
    lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    unique("sso_identities_issuer_subject_key").on(t.issuer, t.subject),
    unique("sso_identities_issuer_user_key").on(t.issuer, t.userId),
    index("sso_identities_user_idx").on(t.userId),
  ],
);
