import { afterAll, describe, expect, test, vi } from "vitest";
import { metrics } from "@/server/observability/metrics";
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
    const refusedBefore = await valueOf(metrics.apiCallsRefused);
    const waiting = inBrowserCallSlot(browser(), async () => (ran.push("first"), Response.json({})));
    const refused = await inBrowserCallSlot(browser(), async () => (ran.push("second"), Response.json({})));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await valueOf(metrics.apiCallsRefused)).toBe(refusedBefore + 1);
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
