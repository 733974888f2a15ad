import { afterEach, describe, expect, test, vi } from "vitest";
import { bodyMemory, giveBack, lendBody } from "./update-bodies";

/** Gives back every body still kept, so one test's buffers are not the next one's. */
afterEach(() => {
  vi.useFakeTimers();
  lendBody(1);
  vi.advanceTimersByTime(30_000);
  vi.useRealTimers();
});

describe("update bodies' memory", () => {
  test("a body given back is the memory the next body of its size is read into; another size gets its own", () => {
    const first = lendBody(1024);
    first.fill(7);
    giveBack(first);
    const before = bodyMemory();
    const second = lendBody(1024);
    expect(second.buffer).toBe(first.buffer);
    expect(bodyMemory().reused).toBe(before.reused + 1);
    const other = lendBody(2048);
    expect(other.buffer).not.toBe(first.buffer);
    expect(other.byteLength).toBe(2048);
    expect(bodyMemory().allocated).toBe(before.allocated + 1);
  });

  test("a body given back twice is lent once, even when its memory was lent again in between: two updates never share memory", () => {
    const body = lendBody(512);
    giveBack(body);
    giveBack(body);
    const a = lendBody(512);
    expect(a.buffer).toBe(body.buffer);
    giveBack(body);
    const b = lendBody(512);
    expect(b.buffer).not.toBe(a.buffer);
    giveBack(a);
    expect(lendBody(512).buffer).toBe(a.buffer);
  });

  test("memory not lent here is freed, not kept", () => {
    const elsewhere = Buffer.allocUnsafeSlow(256);
    const kept = bodyMemory().kept;
    giveBack(elsewhere);
    expect(elsewhere.byteLength).toBe(0);
    expect(bodyMemory().kept).toBe(kept);
  });

  test("at most 512 MiB of bodies are kept, the oldest freed first", () => {
    const bodies = Array.from({ length: 3 }, () => lendBody(200 * 1024 * 1024));
    for (const body of bodies) giveBack(body);
    expect(bodyMemory().kept).toBe(2);
    expect(bodies[0]!.byteLength).toBe(0);
    expect(bodies[2]!.byteLength).toBe(200 * 1024 * 1024);
  });

  test("at most FLIP_UPDATE_CONCURRENCY + 3 bodies are kept, and all are freed once no body was lent or given back for 30 s", () => {
    vi.useFakeTimers();
    const bodies = Array.from({ length: 10 }, () => lendBody(128));
    for (const body of bodies) giveBack(body);
    // FLIP_UPDATE_CONCURRENCY is 4 by default.
    expect(bodyMemory().kept).toBe(7);
    vi.advanceTimersByTime(29_000);
    expect(bodyMemory().kept).toBe(7);
    vi.advanceTimersByTime(1_000);
    expect(bodyMemory().kept).toBe(0);
    vi.useRealTimers();
  });
});
