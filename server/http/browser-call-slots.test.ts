import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, test, vi } from "vitest";
import { metrics } from "@/server/observability/metrics";
import { serveRequest } from "./api-fast-path";
import { browserCallSlots, inBrowserCallSlot } from "./browser-call-slots";

/**
 * Two browser calls at a time here, one more waiting: a site worker's call is served whatever the
 * browsers have taken, and a browser's call beyond the line is refused with a 503 that says why.
 */
vi.stubEnv("FLIP_API_CONCURRENCY", "2");
vi.stubEnv("FLIP_API_QUEUE_MAX", "1");
afterAll(() => void vi.unstubAllEnvs());

const URL = "http://portal.test/api/trpc/projects.list";
const browser = (signal?: AbortSignal) =>
  new Request(URL, { headers: { cookie: "next-auth.session-token=abc" }, ...(signal ? { signal } : {}) });
const worker = () => new Request(URL, { headers: { authorization: "Bearer flip_site_token" } });

/** Takes every browser slot until `free()`; `taken` resolves once they are all held. */
function takeEverySlot() {
  let free = () => undefined as void;
  const held = new Promise<void>((resolve) => (free = resolve));
  const holding = [0, 1].map(() => browserCallSlots().run(() => held));
  return { free: async () => (free(), await Promise.all(holding)) };
}

const valueOf = async (metric: { get: () => Promise<{ values: { value: number }[] }> }) =>
  (await metric.get()).values[0]?.value ?? 0;
/** The 503s counted for `reason`. */
const refusedFor = async (reason: string) =>
  (await metrics.apiCallsRefused.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

const settled = async (promise: Promise<unknown>) =>
  Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 50))]);

describe("browser calls a few at a time, site workers' calls at once", () => {
  test("with every browser slot taken, a worker's heartbeat is served at once and a browser's call waits its turn", async () => {
    const slots = takeEverySlot();
    const served: string[] = [];
    const beat = inBrowserCallSlot(worker(), async () => (served.push("worker"), Response.json({ ok: true })));
    const read = inBrowserCallSlot(browser(), async () => (served.push("browser"), Response.json({ items: [] })));
    expect((await beat).status).toBe(200);
    expect(await settled(read)).toBe(false);
    expect(served).toEqual(["worker"]);
    expect(browserCallSlots().waiting).toBe(1);
    expect(await valueOf(metrics.apiCallsWaiting)).toBe(1);

    await slots.free();
    expect((await read).status).toBe(200);
    expect(served).toEqual(["worker", "browser"]);
    expect(await valueOf(metrics.apiCallsWaiting)).toBe(0);
  });

  test("past the line, a browser's call is answered 503 with Retry-After and a message saying what to do; it does not run", async () => {
    const slots = takeEverySlot();
    const ran: string[] = [];
    const refusedBefore = await refusedFor("line_full");
    const waiting = inBrowserCallSlot(browser(), async () => (ran.push("first"), Response.json({})));
    const refused = await inBrowserCallSlot(browser(), async () => (ran.push("second"), Response.json({})));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refusedFor("line_full")).toBe(refusedBefore + 1);
    expect(await refused.json()).toEqual({
      error: {
        code: "SERVICE_UNAVAILABLE",
        message:
          "The portal is busy (2 requests at a time, at most 1 waiting, each for up to 30 s); try again in a moment. Nothing was changed.",
      },
    });
    await slots.free();
    expect((await waiting).status).toBe(200);
    expect(ran).toEqual(["first"]);
  });

  test("a browser that has gone while its call waited costs nothing more: the call is not run", async () => {
    const slots = takeEverySlot();
    const gone = new AbortController();
    let ran = false;
    const call = inBrowserCallSlot(browser(gone.signal), async () => ((ran = true), Response.json({})));
    gone.abort();
    await slots.free();
    expect((await call).status).toBe(499);
    expect(ran).toBe(false);
  });

  test("a call still in line after 30 s is answered 503 and counted as having waited too long; it does not run", async () => {
    vi.useFakeTimers();
    try {
      const slots = takeEverySlot();
      let ran = false;
      const call = inBrowserCallSlot(browser(), async () => ((ran = true), Response.json({})));
      await vi.advanceTimersByTimeAsync(30_000);
      const refused = await call;
      expect(refused.status).toBe(503);
      expect(await refusedFor("waited_too_long")).toBe(1);
      expect(browserCallSlots().waiting).toBe(0);
      await slots.free();
      expect(ran).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a failure inside a call is the caller's to answer, and frees its slot", async () => {
    await expect(
      inBrowserCallSlot(browser(), async () => {
        throw new Error("the handler broke");
      }),
    ).rejects.toThrow("the handler broke");
    const both = await Promise.all([0, 1].map(() => inBrowserCallSlot(browser(), async () => Response.json({}))));
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(browserCallSlots().waiting).toBe(0);
  });
});

describe("what Next serves: pages in the same line, probes, static files and downloads outside it", () => {
  const servers: { close: () => void }[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  /** The portal server's dispatch (api-fast-path.ts) in front of a stand-in for Next that answers `path` when told. */
  async function portal() {
    const pending = new Map<string, () => void>();
    const served: string[] = [];
    const server = createServer((req, res) =>
      serveRequest(req, res, () => {
        served.push(req.url!);
        res.writeHead(200, { "content-type": "text/html" });
        res.write("<p>streaming…</p>"); // a page streams; its slot is held until it ends
        pending.set(req.url!, () => res.end("</html>"));
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    const get = (path: string, signal?: AbortSignal) =>
      fetch(`http://127.0.0.1:${port}${path}`, { signal }).then(async (r) => ({
        status: r.status,
        retryAfter: r.headers.get("retry-after"),
        body: await r.text(),
      }));
    const finish = async (path: string) => {
      await vi.waitFor(() => expect(pending.has(path)).toBe(true));
      pending.get(path)!();
    };
    return { get, finish, served };
  }

  test("a page holds its slot until its response has ended; the next page waits, and past the line gets a 503 in plain words", async () => {
    const { get, finish, served } = await portal();
    const first = get("/projects");
    const second = get("/models");
    await vi.waitFor(() => expect(served).toEqual(["/projects", "/models"]));
    const third = get("/approvals");
    await vi.waitFor(() => expect(browserCallSlots().waiting).toBe(1));
    const refused = await get("/admin");
    expect(refused).toEqual({
      status: 503,
      retryAfter: "1",
      body: "The portal is busy (2 requests at a time, at most 1 waiting, each for up to 30 s); try again in a moment. Nothing was changed.",
    });
    expect(await settled(third)).toBe(false);

    await finish("/projects");
    expect((await first).body).toBe("<p>streaming…</p></html>");
    await finish("/approvals");
    expect(await third).toMatchObject({ status: 200 });
    await finish("/models");
    await second;
    expect(served).toEqual(["/projects", "/models", "/approvals"]);
  });

  test("probes, the metrics scrape, static files and model downloads are served with every slot taken", async () => {
    const { get, finish, served } = await portal();
    const slots = takeEverySlot();
    // Liveness is answered before Next, at once.
    expect(await get("/api/health")).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    const paths = ["/api/metrics", "/_next/static/chunks/main.js", "/api/projects/p1/model-versions/v1/download"];
    const answers = paths.map((path) => get(path));
    for (const path of paths) await finish(path);
    expect((await Promise.all(answers)).map((a) => a.status)).toEqual([200, 200, 200]);
    // Only those paths: one that merely starts like a download is a page like any other.
    const page = get("/api/projects/p1/model-versions/v1/downloads");
    await vi.waitFor(() => expect(browserCallSlots().waiting).toBe(1));
    expect(served).toEqual(paths);
    await slots.free();
    await finish("/api/projects/p1/model-versions/v1/downloads");
    expect((await page).status).toBe(200);
  });

  test("a browser that left while its page waited is not served", async () => {
    const { get, finish, served } = await portal();
    const slots = takeEverySlot();
    const gone = new AbortController();
    const page = get("/projects", gone.signal).catch(() => "aborted");
    await vi.waitFor(() => expect(browserCallSlots().waiting).toBe(1));
    gone.abort();
    expect(await page).toBe("aborted");
    await new Promise((resolve) => setTimeout(resolve, 50)); // the server sees the connection close
    await slots.free();
    const next = get("/models");
    await finish("/models");
    expect((await next).status).toBe(200);
    expect(served).toEqual(["/models"]);
  });
});
