import { encode } from "next-auth/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeSessionToken, sessionCookieName, sessionTokenOf } from "./session-cookie";

const SECRET = "a-session-secret-of-at-least-32-characters";
const OTHER_SECRET = "another-session-secret-of-32-characters!";
const CLAIMS = { sub: "5d1f2a8e-4c3b-4e7a-9f10-2b3c4d5e6f70", sid: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" };

const token = (claims: Record<string, unknown> = CLAIMS, maxAge = 3_600, secret = SECRET) =>
  encode({ token: claims, secret, maxAge });

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("decoding the session cookie", () => {
  it("gives the user and session the cookie was issued for, again and again", async () => {
    const cookie = await token();
    for (let i = 0; i < 3; i++)
      expect(await decodeSessionToken(cookie, SECRET)).toEqual({ userId: CLAIMS.sub, sessionId: CLAIMS.sid });
  });

  it("refuses a cookie made with another secret, even one this process has decoded with its own", async () => {
    expect(await decodeSessionToken(await token(CLAIMS, 3_600, OTHER_SECRET), SECRET)).toBeNull();
    const cookie = await token();
    expect(await decodeSessionToken(cookie, SECRET)).not.toBeNull();
    expect(await decodeSessionToken(cookie, OTHER_SECRET)).toBeNull();
  });

  it("refuses a tampered or truncated cookie, and anything that is not one", async () => {
    const cookie = await token();
    const parts = cookie.split(".");
    const flipped = parts[3]!.startsWith("A") ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
    expect(await decodeSessionToken([...parts.slice(0, 3), flipped, parts[4]].join("."), SECRET)).toBeNull();
    expect(await decodeSessionToken(cookie.slice(0, -4), SECRET)).toBeNull();
    expect(await decodeSessionToken("not-a-token", SECRET)).toBeNull();
  });

  it("refuses a cookie without a user or a session", async () => {
    expect(await decodeSessionToken(await token({ sub: CLAIMS.sub }), SECRET)).toBeNull();
    expect(await decodeSessionToken(await token({ sid: CLAIMS.sid }), SECRET)).toBeNull();
  });

  it("refuses an expired cookie, and stops accepting a decoded one once it expires (15 s clock tolerance)", async () => {
    expect(await decodeSessionToken(await token(CLAIMS, -60), SECRET)).toBeNull();

    vi.useFakeTimers({ now: Date.now(), toFake: ["Date"] });
    const cookie = await token(CLAIMS, 60);
    expect(await decodeSessionToken(cookie, SECRET)).not.toBeNull();
    vi.setSystemTime(Date.now() + 60_000 + 10_000);
    expect(await decodeSessionToken(cookie, SECRET)).not.toBeNull();
    vi.setSystemTime(Date.now() + 6_000);
    expect(await decodeSessionToken(cookie, SECRET)).toBeNull();
  });
});

describe("finding the session cookie", () => {
  it("is named as next-auth names it: __Secure- prefixed when the portal's URL is https", () => {
    expect(sessionCookieName("https://flip.example.nhs.uk")).toBe("__Secure-next-auth.session-token");
    expect(sessionCookieName("http://localhost:3000")).toBe("next-auth.session-token");
    expect(sessionCookieName(undefined)).toBe("next-auth.session-token");
  });

  it("joins a cookie next-auth split into chunks, in chunk order, and ignores other cookies", () => {
    const name = "next-auth.session-token";
    const cookies = [
      { name: `${name}.1`, value: "second" },
      { name: "next-auth.csrf-token", value: "csrf" },
      { name: `${name}.10`, value: "-eleventh" },
      { name: `${name}.0`, value: "first-" },
    ];
    expect(sessionTokenOf(cookies, name)).toBe("first-second-eleventh");
    expect(sessionTokenOf([{ name, value: "whole" }], name)).toBe("whole");
    expect(sessionTokenOf([{ name: "next-auth.csrf-token", value: "csrf" }], name)).toBeNull();
  });
});
