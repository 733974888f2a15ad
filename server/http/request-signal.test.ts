import { getEventListeners } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { siteTasks } from "@/db/schema";
import { serveDatabaseForTests } from "@/server/database/get-db";
import { makeSite } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { enqueueTask } from "@/server/tasks/tasks.service";
import { createHubClient } from "@/workers/hub-client";
import { createLogger } from "@/workers/log";
import { serveApiRequest } from "./api-fast-path";
import { connectionSignal, installScopedAbortSignalAny, requestWithSignal } from "./request-signal";

const testDb = useTestDatabase();
const hub = { type: "system", label: "test" } as const;
let url = "";
let close = () => {};
/** Called once the portal has seen a long-poll claim's connection close. */
let onClaimClosed = () => {};

beforeAll(async () => {
  serveDatabaseForTests(testDb.db());
  installScopedAbortSignalAny();
  // The portal server's own request path: its fast path, tRPC and the body limit included.
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/api/trpc/worker.claim")) res.once("close", () => onClaimClosed());
    void serveApiRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => {
    server.closeAllConnections();
    server.close();
  };
});
afterAll(() => close());

async function siteWithWorker(code: string) {
  const db = testDb.db();
  const site = await makeSite(db, code);
  const { token } = await issueSiteToken(db, hub, { siteId: site.id, graceSeconds: 0 });
  const worker = createHubClient({ trpcUrl: `${url}/api/trpc`, token, log: createLogger({}, { minLevel: "error" }) });
  return { site, worker };
}

const statusOf = async (taskId: string) =>
  (await testDb.db().select({ status: siteTasks.status }).from(siteTasks).where(eq(siteTasks.id, taskId)))[0]!.status;

describe("a request's signal on the portal's own request path", () => {
  test("a worker that hangs up during its long-poll claim is not handed the next task; the worker that asks next gets it", async () => {
    const db = testDb.db();
    const { site, worker } = await siteWithWorker("HU");
    const stop = new AbortController();
    const claimClosed = new Promise<void>((resolve) => (onClaimClosed = resolve));
    const gone = worker.claim(20_000, stop.signal).catch(() => "hung up");
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop.abort();
    expect(await gone).toBe("hung up");
    await claimClosed;
    const task = await db.transaction((tx) =>
      enqueueTask(tx, { siteId: site.id, siteCode: site.code, kind: "site_inventory", payload: {}, actor: hub }),
    );
    // A claim still waiting for the worker that left would lease it within milliseconds, to no one.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await statusOf(task.id)).toBe("queued");
    const next = await worker.claim(5_000);
    expect(next?.taskId).toBe(task.id);
    expect(await statusOf(task.id)).toBe("leased");
  });
});

describe("signals combined with a request's", () => {
  /** A request's signal on a response that `finish()` ends as a sent answer does, or `hangUp()` as a client that left. */
  function requestScope() {
    const listeners: (() => void)[] = [];
    const res = {
      writableFinished: false,
      once: (event: string, listener: () => void) => void (event === "close" && listeners.push(listener)),
    };
    const signal = connectionSignal(res as unknown as ServerResponse);
    const closeWith = (finished: boolean) => {
      res.writableFinished = finished;
      for (const l of listeners.splice(0)) l();
    };
    return { signal, finish: () => closeWith(true), hangUp: () => closeWith(false) };
  }

  test("abort with the request when its client leaves, as AbortSignal.any's do, and a request's Request carries it", () => {
    installScopedAbortSignalAny();
    const { signal, hangUp } = requestScope();
    const request = requestWithSignal("http://hub/api/trpc/worker.claim", { method: "POST", body: "{}" }, signal);
    expect(request.signal).toBe(signal);
    const other = new AbortController();
    const combined = AbortSignal.any([request.signal, other.signal]);
    const twice = AbortSignal.any([combined, new AbortController().signal]);
    expect(combined.aborted || twice.aborted).toBe(false);
    hangUp();
    expect(combined.aborted && twice.aborted).toBe(true);
    expect(twice.reason).toBe(signal.reason);
    // One already aborted: the combined signal is aborted at once, with its reason.
    const late = AbortSignal.any([signal, new AbortController().signal]);
    expect(late.aborted).toBe(true);
  });

  test("let go of a long-lived signal they were combined with once the answer has gone, and follow it until then", () => {
    installScopedAbortSignalAny();
    const process = new AbortController();
    const first = requestScope();
    const combined = AbortSignal.any([first.signal, process.signal]);
    expect(getEventListeners(process.signal, "abort")).toHaveLength(1);
    first.finish();
    expect(getEventListeners(process.signal, "abort")).toHaveLength(0);
    expect(combined.aborted).toBe(false);
    // A request still open follows the long-lived signal.
    const second = requestScope();
    const following = AbortSignal.any([second.signal, process.signal]);
    process.abort(new Error("shutting down"));
    expect(following.aborted).toBe(true);
    expect((following.reason as Error).message).toBe("shutting down");
  });

  test("leave every other AbortSignal.any to Node's own", () => {
    installScopedAbortSignalAny();
    const a = new AbortController();
    const combined = AbortSignal.any([a.signal, new AbortController().signal]);
    // Node's own holds its sources by weak reference, not by a listener on them.
    expect(getEventListeners(a.signal, "abort")).toHaveLength(0);
    a.abort("because");
    expect(combined.reason).toBe("because");
  });
});
