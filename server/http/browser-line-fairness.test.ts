import { randomUUID } from "node:crypto";
import { encode } from "next-auth/jwt";
import { afterAll, describe, expect, test, vi } from "vitest";
import { PEER_ADDRESS_HEADER } from "@/server/auth/client-ip";
import { decodeSessionToken } from "@/server/auth/session-cookie";
import { metrics } from "@/server/observability/metrics";
import { browserCallSlots, callerOf, inBrowserCallSlot } from "./browser-call-slots";

/**
 * One browser call at a time here, ten waiting in all, three for any one caller: a hostile or
 * runaway user's flood waits in a line of its own, so everyone else is still served in turn.
 */
const SECRET = "a-session-secret-of-at-least-32-characters";
vi.stubEnv("NEXTAUTH_SECRET", SECRET);
vi.stubEnv("FLIP_API_CONCURRENCY", "1");
vi.stubEnv("FLIP_API_QUEUE_MAX", "10");
vi.stubEnv("FLIP_API_QUEUE_MAX_PER_CALLER", "3");
afterAll(() => void vi.unstubAllEnvs());

const URL = "http://portal.test/api/trpc/projects.list";

/** A signed-in user's session cookie, decoded once by this process as their first call's session lookup does. */
async function signedIn(): Promise<string> {
  const token = await encode({ token: { sub: randomUUID(), sid: randomUUID() }, secret: SECRET, maxAge: 3_600 });
  expect(await decodeSessionToken(token, SECRET)).not.toBeNull();
  return `next-auth.session-token=${token}`;
}

const call = (from: { cookie?: string; address: string }) =>
  new Request(URL, {
    headers: { ...(from.cookie ? { cookie: from.cookie } : {}), [PEER_ADDRESS_HEADER]: from.address },
  });

/** Takes the one browser slot until `free()`. */
function takeTheSlot() {
  let free = () => undefined as void;
  const held = browserCallSlots().run(() => new Promise<void>((resolve) => (free = resolve)));
  return { free: async () => (free(), await held) };
}

describe("the browser line takes callers in turn", () => {
  test("a user with a flood of calls waiting holds back another user's call by one call, not by the flood", async () => {
    const [flooder, colleague] = [await signedIn(), await signedIn()];
    const slot = takeTheSlot();
    const served: string[] = [];
    const send = (name: string, from: { cookie?: string; address: string }) =>
      inBrowserCallSlot(call(from), async () => (served.push(name), Response.json({})));
    // The flooder's calls come from two addresses (two tabs, a script): they are one caller all the same.
    const calls = [
      send("flood 1", { cookie: flooder, address: "10.0.0.66" }),
      send("flood 2", { cookie: flooder, address: "10.0.0.67" }),
      send("flood 3", { cookie: flooder, address: "10.0.0.66" }),
      send("colleague", { cookie: colleague, address: "10.0.0.66" }),
      send("signed out", { address: "10.0.0.9" }),
    ];
    expect(browserCallSlots().waiting).toBe(5);
    await slot.free();
    expect((await Promise.all(calls)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // In arrival order the colleague would have waited for all three.
    expect(served).toEqual(["flood 1", "colleague", "signed out", "flood 2", "flood 3"]);
  });

  test("past its own limit only that caller is refused, with a message saying why; the others still wait their turn", async () => {
    const [flooder, colleague] = [await signedIn(), await signedIn()];
    const slot = takeTheSlot();
    const ran: string[] = [];
    const send = (name: string, cookie: string) =>
      inBrowserCallSlot(call({ cookie, address: "10.0.0.66" }), async () => (ran.push(name), Response.json({})));
    const waiting = [send("flood 1", flooder), send("flood 2", flooder), send("flood 3", flooder)];
    const refused = await send("flood 4", flooder);
    expect(refused.status).toBe(503);
    // Counted apart from a full line, so a dashboard tells one flooder from an overloaded portal.
    const counted = (await metrics.apiCallsRefused.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(counted).toEqual([["caller_full", 1]]);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({
      error: {
        code: "SERVICE_UNAVAILABLE",
        message:
          "You already have 3 requests waiting at this portal; let them finish before sending more. Nothing was changed.",
      },
    });
    const colleagues = send("colleague", colleague);
    expect(browserCallSlots().waiting).toBe(4);
    await slot.free();
    expect((await Promise.all([...waiting, colleagues])).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(ran).toEqual(["flood 1", "colleague", "flood 2", "flood 3"]);
  });

  test("a made-up session cookie buys no line of its own: its calls wait in their address's line", async () => {
    const slot = takeTheSlot();
    const madeUp = () => `next-auth.session-token=${randomUUID()}`;
    const fromTheAttacker = () =>
      inBrowserCallSlot(call({ cookie: madeUp(), address: "10.0.0.66" }), async () => Response.json({}));
    const waiting = [fromTheAttacker(), fromTheAttacker(), fromTheAttacker()];
    expect((await fromTheAttacker()).status).toBe(503);
    // A real user at the same address (behind the same NAT) has a line of their own.
    const user = inBrowserCallSlot(call({ cookie: await signedIn(), address: "10.0.0.66" }), async () =>
      Response.json({}),
    );
    expect(browserCallSlots().waiting).toBe(4);
    await slot.free();
    expect((await Promise.all([...waiting, user])).map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  test("a page's request and an API call from the same browser wait in the same line", async () => {
    const cookie = await signedIn();
    const page = { cookie, [PEER_ADDRESS_HEADER]: "10.0.0.66" }; // Node's IncomingMessage headers
    expect(callerOf(page)).toBe(callerOf(call({ cookie, address: "10.0.0.67" }).headers));
    expect(callerOf(page)).toMatch(/^user:/);
    expect(callerOf({ [PEER_ADDRESS_HEADER]: "10.0.0.66" })).toBe("address:10.0.0.66");
  });
});
