import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from "@/protocol/contract";
import { createCaller } from "@/server/root";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { afterEach, describe, expect, it } from "vitest";
import { sites } from "@/db/schema";
import { errorResponse } from "@/server/http/route-errors";
import { makeSite } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { createCallerFactory, createTRPCRouter, publicProcedure } from "@/server/trpc";
import { captureLogs, errorFields, queryNameOf } from "./logger";

const { db } = useTestDatabase();
const SECRET = "NHS-9434765919-patient-value";
let capture: ReturnType<typeof captureLogs> | undefined;
afterEach(() => capture?.restore());

const router = createTRPCRouter({
  castSecret: publicProcedure.query(({ ctx }) => ctx.db.execute(sql`SELECT ${SECRET}::int AS n`)),
  duplicateSite: publicProcedure.mutation(async ({ ctx }) => {
    await ctx.db.insert(sites).values({ code: SECRET, name: "A", region: "Test" });
    await ctx.db.insert(sites).values({ code: SECRET, name: "B", region: "Test" });
  }),
  fine: publicProcedure.query(() => "ok"),
});
const callerWith = (headers: Record<string, string> = {}) =>
  createCallerFactory(router)({ db: db(), viewer: null, ip: "203.0.113.7", headers: new Headers(headers) });

describe("request logs", () => {
  it("log a failing query's SQLSTATE and query name, never its bound values", async () => {
    capture = captureLogs();
    await expect(callerWith({ "x-request-id": "lb-7f3a" }).castSecret()).rejects.toThrow();
    expect(capture.lines).toHaveLength(1);
    expect(capture.lines[0]).toMatchObject({
      level: "error",
      requestId: "lb-7f3a",
      procedure: "castSecret",
      code: "INTERNAL_SERVER_ERROR",
      err: { kind: "database", sqlstate: "22P02", query: "select" },
    });
    expect(typeof capture.lines[0]!.durationMs).toBe("number");
    expect(capture.text()).not.toContain(SECRET);
    expect(capture.text()).not.toContain("9434765919");
  });

  it("name the table and constraint of a unique violation, not the duplicated key", async () => {
    capture = captureLogs();
    await expect(callerWith().duplicateSite()).rejects.toThrow();
    expect(capture.lines[0]).toMatchObject({
      err: { sqlstate: "23505", query: "insert sites", table: "sites", constraint: "sites_code_key" },
    });
    expect(capture.text()).not.toContain(SECRET);
  });

  it("write one info line per call with a generated request id when none (or a malformed one) is sent", async () => {
    capture = captureLogs();
    await callerWith().fine();
    await callerWith({ "x-request-id": "not a token; <script>" }).fine();
    expect(capture.lines).toHaveLength(2);
    for (const line of capture.lines) {
      expect(line).toMatchObject({ level: "info", procedure: "fine", type: "query", code: "OK", service: "flip-hub" });
      expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("route handlers log unexpected errors the same way and send a generic message", async () => {
    const site = await makeSite(db());
    capture = captureLogs();
    const failure = await db()
      .insert(sites)
      .values({ code: site.code, name: SECRET, region: "Test" })
      .catch((error: unknown) => error);
    const response = errorResponse(failure, "model download");
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain(site.code);
    expect(capture.lines[0]).toMatchObject({ route: "model download", err: { sqlstate: "23505" } });
    expect(capture.text()).not.toContain(SECRET);
    expect(capture.text()).not.toContain(`(${site.code})`);
  });
});

describe("worker request logs", () => {
  it("name the site the token belongs to", async () => {
    const site = await makeSite(db());
    const { token } = await issueSiteToken(
      db(),
      { type: "system", label: "test" },
      { siteId: site.id, graceSeconds: 0 },
    );
    const headers = new Headers({ authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) });
    capture = captureLogs();
    await createCaller({ db: db(), viewer: null, ip: "203.0.113.7", headers })
      .worker.progress({ taskId: randomUUID(), leaseId: randomUUID(), percent: 10 })
      .catch(() => undefined);
    expect(capture.lines[0]).toMatchObject({ procedure: "worker.progress", site: site.code });
    expect(capture.text()).not.toContain(token);
  });
});

describe("errorFields", () => {
  it("keeps an ordinary error's message and stack", () => {
    expect(errorFields(new TypeError("x is undefined"))).toMatchObject({
      kind: "TypeError",
      message: "x is undefined",
    });
  });

  it("names a query by its verb and first table", () => {
    expect(queryNameOf('select "id", "code" from "sites" where "sites"."id" = $1')).toBe("select sites");
    expect(queryNameOf('insert into "site_tasks" ("id") values ($1)')).toBe("insert site_tasks");
    expect(queryNameOf('update "jobs" set "status" = $1')).toBe("update jobs");
    expect(queryNameOf("SELECT created_at FROM drizzle.__drizzle_migrations")).toBe(
      "select drizzle.__drizzle_migrations",
    );
  });
});
