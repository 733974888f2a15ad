import { describe, expect, it } from "vitest";
import { siteHealth } from "@/db/schema";
import { signInWithPassword } from "@/server/auth/sign-in.service";
import { callerAs, makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { createProject } from "@/server/projects/projects.service";
import { enqueueTask } from "@/server/tasks/tasks.service";
import { metrics, metricsResponse } from "./metrics";
import { observeRoute } from "./routes";

const { db } = useTestDatabase();
const TOKEN = "metrics-token-metrics-token-metrics-token";

const scrape = (authorization?: string, token: string | undefined = TOKEN) =>
  metricsResponse(
    new Request("http://hub/api/metrics", { headers: authorization ? { authorization } : {} }),
    async () => db(),
    { FLIP_METRICS_TOKEN: token },
  );

/** A counter's value, or a histogram's number of observations (its _count sample), for the given labels. */
async function sampleValue(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { value: number; labels: object; metricName?: string }[];
  const sample = values.find(
    (v) =>
      (v.metricName === undefined || v.metricName === `${name}_count`) &&
      Object.entries(labels).every(([key, value]) => (v.labels as Record<string, unknown>)[key] === value),
  );
  return sample?.value;
}

describe("/api/metrics", () => {
  it("does not exist without FLIP_METRICS_TOKEN (404)", async () => {
    const response = await metricsResponse(new Request("http://hub/api/metrics"), async () => db(), {
      FLIP_METRICS_TOKEN: undefined,
    });
    expect(response.status).toBe(404);
  });

  it("refuses a missing or wrong bearer token with 401 and no metrics", async () => {
    for (const authorization of [undefined, "Bearer wrong", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const response = await scrape(authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain("flip_");
    }
  });

  it("serves the queue, the sites' status and heartbeat age from the database at scrape time", async () => {
    const online = await makeSite(db(), "MON");
    await makeSite(db(), "MOFF");
    await db()
      .insert(siteHealth)
      .values({ siteId: online.id, lastSeenAt: new Date(Date.now() - 2_000) });
    await db().transaction((tx) =>
      enqueueTask(tx, {
        siteId: online.id,
        siteCode: online.code,
        kind: "site_inventory",
        payload: {},
        actor: { type: "system", label: "test" },
      }),
    );

    const response = await scrape(`Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain('flip_tasks{kind="site_inventory",state="queued"} 1');
    expect(text).toContain('flip_tasks{kind="train",state="leased"} 0');
    expect(text).toContain('flip_sites{status="online"} 1');
    expect(text).toContain('flip_sites{status="offline"} 1');
    const age = Number(/flip_site_heartbeat_age_seconds\{site="MON"\} ([\d.]+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain('site="MOFF"');
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("times every tRPC call by procedure and result code", async () => {
    const before =
      (await sampleValue("flip_trpc_request_duration_seconds", {
        procedure: "siteNetwork.monitor",
        code: "UNAUTHORIZED",
      })) ?? 0;
    await expect(callerAs(db(), null).siteNetwork.monitor()).rejects.toThrow();
    const after = await sampleValue("flip_trpc_request_duration_seconds", {
      procedure: "siteNetwork.monitor",
      code: "UNAUTHORIZED",
    });
    expect(after).toBe(before + 1);
  });

  it("times a service's refusal under its transport code, as the caller receives it", async () => {
    const researcher = await viewerOf(db(), (await makeUser(db(), [{ role: "researcher" }])).id);
    const project = await createProject(db(), researcher, {
      title: "Metrics project",
      purpose: "A project whose missing job is asked for.",
    });
    const labels = { procedure: "jobs.byId", code: "NOT_FOUND" };
    const before = (await sampleValue("flip_trpc_request_duration_seconds", labels)) ?? 0;
    await expect(
      callerAs(db(), researcher).jobs.byId({ projectId: project.id, jobId: crypto.randomUUID() }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", message: "No job with that id in this project." });
    expect(await sampleValue("flip_trpc_request_duration_seconds", labels)).toBe(before + 1);
  });

  it("times route handlers by route pattern and status, and echoes the request id", async () => {
    const route = "/api/test/[id]";
    const handler = observeRoute(route, async (_request: Request, id: string) =>
      Response.json({ id }, { status: 202 }),
    );
    const labels = { route, method: "POST", status: "202" };
    const before = (await sampleValue("flip_http_request_duration_seconds", labels)) ?? 0;
    const response = await handler(
      new Request("http://hub/api/test/1", { method: "POST", headers: { "x-request-id": "edge-1" } }),
      "1",
    );
    expect(response.headers.get("x-request-id")).toBe("edge-1");
    expect(await sampleValue("flip_http_request_duration_seconds", labels)).toBe(before + 1);
  });

  it("counts refused sign-ins by reason", async () => {
    const user = await makeUser(db(), [{ role: "researcher" }]);
    const before = (await sampleValue("flip_sign_in_failures_total", { reason: "wrong_credentials" })) ?? 0;
    await expect(
      signInWithPassword(db(), { email: user.email, password: "not-the-password" }, "203.0.113.9"),
    ).rejects.toThrow();
    expect(await sampleValue("flip_sign_in_failures_total", { reason: "wrong_credentials" })).toBe(before + 1);
  });
});
