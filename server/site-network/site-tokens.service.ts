import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { siteTokens, sites } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/audit.service";
import { notifiedCacheOf } from "@/server/database/notified-cache";
import { preparedSql } from "@/server/database/prepared";
import { AppError } from "@/server/errors";

const TOKEN_PREFIX = "flip_st_";

export function hashSiteToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Issues a new token for a site: 32 random bytes, returned once, stored as SHA-256. Tokens already
 * active stay valid for `graceSeconds` (0 = they stop now), so a rotation can roll out without downtime.
 */
export async function issueSiteToken(db: Database, actor: Actor, input: { siteId: string; graceSeconds: number }) {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  return db.transaction(async (tx) => {
    const [site] = await tx.select({ code: sites.code }).from(sites).where(eq(sites.id, input.siteId)).for("update");
    if (!site) throw new AppError("NOT_FOUND", "No site with that id.");
    const graceEnds = sql`now() + ${input.graceSeconds} * interval '1 second'`;
    const superseded = await tx
      .update(siteTokens)
      .set({ expiresAt: sql`least(coalesce(${siteTokens.expiresAt}, ${graceEnds}), ${graceEnds})` })
      .where(
        and(
          eq(siteTokens.siteId, input.siteId),
          isNull(siteTokens.revokedAt),
          or(isNull(siteTokens.expiresAt), gt(siteTokens.expiresAt, sql`now()`)),
        ),
      )
      .returning({ id: siteTokens.id });
    const [row] = await tx
      .insert(siteTokens)
      .values({
        siteId: input.siteId,
        tokenHash: hashSiteToken(token),
        tokenPrefix: token.slice(0, TOKEN_PREFIX.length + 4),
        createdBy: actor.type === "user" ? actor.id : null,
      })
      .returning({ id: siteTokens.id, tokenPrefix: siteTokens.tokenPrefix, createdAt: siteTokens.createdAt });
    await recordAudit(tx, {
      actor,
      action: superseded.length ? "site_token.rotated" : "site_token.issued",
      subject: `site:${site.code}`,
      details: { tokenPrefix: row!.tokenPrefix, graceSeconds: input.graceSeconds, superseded: superseded.length },
    });
    return { token, ...row! };
  });
}

/** Revokes every token of a site; the worker's next call is refused. */
export async function revokeSiteTokens(db: Database, actor: Actor, { siteId }: { siteId: string }) {
  return db.transaction(async (tx) => {
    const [site] = await tx.select({ code: sites.code }).from(sites).where(eq(sites.id, siteId));
    if (!site) throw new AppError("NOT_FOUND", "No site with that id.");
    const revoked = await tx
      .update(siteTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(siteTokens.siteId, siteId), isNull(siteTokens.revokedAt)))
      .returning({ id: siteTokens.id });
    await recordAudit(tx, {
      actor,
      action: "site_token.revoked",
      subject: `site:${site.code}`,
      details: { revoked: revoked.length },
    });
    return { revoked: revoked.length };
  });
}

export function listSiteTokens(db: Database, { siteId }: { siteId: string }) {
  return db
    .select({
      id: siteTokens.id,
      tokenPrefix: siteTokens.tokenPrefix,
      createdAt: siteTokens.createdAt,
      expiresAt: siteTokens.expiresAt,
      revokedAt: siteTokens.revokedAt,
      lastUsedAt: siteTokens.lastUsedAt,
    })
    .from(siteTokens)
    .where(eq(siteTokens.siteId, siteId))
    .orderBy(desc(siteTokens.createdAt));
}

/** The "last used" stamp is written at most this often per token: enough to tell, without a write per call. */
const STAMP_EVERY_MS = 60_000;

type KeptToken = { site: { id: string; code: string }; expiresAt: number | null; stampedAt: number };

/**
 * The token's site and its expiry, the "last used" stamp written when due, in one statement: one
 * round trip. Prepared, as every site's worker comes through here when its stamp is due and when a
 * portal process first sees its token.
 */
const tokenSql = () => sql`WITH token AS (
      SELECT ${siteTokens.id} AS token_id, ${siteTokens.tokenHash} AS token_hash, ${sites.id} AS site_id, ${sites.code} AS code,
        ${siteTokens.expiresAt} AS expires_at, ${siteTokens.lastUsedAt} AS last_used_at
      FROM ${siteTokens} JOIN ${sites} ON ${sites.id} = ${siteTokens.siteId}
      WHERE ${siteTokens.tokenHash} = ${sql.placeholder("hash")} AND ${siteTokens.revokedAt} IS NULL
        AND (${siteTokens.expiresAt} IS NULL OR ${siteTokens.expiresAt} > now())),
    touched AS (
      UPDATE ${siteTokens} SET last_used_at = now()
      WHERE id IN (SELECT token_id FROM token) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
      RETURNING last_used_at)
    SELECT token_hash AS "tokenHash", site_id AS id, code,
      (extract(epoch FROM expires_at) * 1000)::float8 AS "expiresAt",
      (extract(epoch FROM coalesce((SELECT last_used_at FROM touched), last_used_at)) * 1000)::float8 AS "stampedAt"
    FROM token`;

/**
 * The site a bearer token belongs to, or null. The site is only ever taken from the token,
 * never from a request body. This process keeps what it found (`server/database/notified-cache.ts`,
 * forgotten as soon as any of the site's tokens or its code changes) until the token expires or
 * its "last used" stamp is due, when it reads the token again and stamps it in the same statement.
 */
export async function resolveSiteByToken(db: Database, token: string): Promise<{ id: string; code: string } | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const hash = hashSiteToken(token);
  const cache = notifiedCacheOf<KeptToken>(db, "flip_site_token");
  const now = Date.now();
  const kept = cache.get(hash);
  if (kept && (kept.expiresAt === null || now < kept.expiresAt) && now - kept.stampedAt < STAMP_EVERY_MS)
    return kept.site;
  const ticket = cache.ticket();
  const [row] = await preparedSql<{
    tokenHash: string;
    id: string;
    code: string;
    expiresAt: number | null;
    stampedAt: number;
  }>(
    db,
    "flip_site_token_lookup",
    tokenSql,
  )({ hash });
  if (!row || !timingSafeEqual(Buffer.from(row.tokenHash, "hex"), Buffer.from(hash, "hex"))) return null;
  const site = Object.freeze({ id: row.id, code: row.code });
  cache.put(ticket, hash, site.id, { site, expiresAt: row.expiresAt, stampedAt: row.stampedAt });
  return site;
}
