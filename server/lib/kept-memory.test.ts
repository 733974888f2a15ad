import { afterEach, describe, expect, test, vi } from "vitest";
import { createKeptMemory } from "./kept-memory";

afterEach(() => {
  vi.useRealTimers();
});

function keeper(maxKept = 3, maxBytes = 1_000) {
  const dropped: ArrayBuffer[] = [];
  const kept = createKeptMemory<ArrayBuffer>({
    bytesOf: (b) => b.byteLength,
    maxKept: () => maxKept,
    maxBytes,
    idleMs: 30_000,
    drop: (b) => dropped.push(b),
  });
  return { kept, dropped };
}

describe("kept memory", () => {
  test("gives back only an item of the size asked for, the one kept last first, and keeps an item once", () => {
    const { kept } = keeper();
    const [a, b, c] = [new ArrayBuffer(100), new ArrayBuffer(100), new ArrayBuffer(200)];
    expect(kept.take(100)).toBeUndefined();
    kept.keep(a);
    kept.keep(b);
    kept.keep(b);
    kept.keep(c);
    expect(kept.size).toBe(3);
    expect(kept.take(300)).toBeUndefined();
    expect(kept.take(100)).toBe(b);
    expect(kept.take(100)).toBe(a);
    expect(kept.take(100)).toBeUndefined();
    expect(kept.holds(c)).toBe(true);
  });

  test("past its count or its bytes, the oldest items are dropped", () => {
    const { kept, dropped } = keeper(2, 500);
    const items = [100, 100, 100, 400].map((n) => new ArrayBuffer(n));
    for (const item of items.slice(0, 3)) kept.keep(item);
    expect(dropped).toEqual([items[0]]);
    kept.keep(items[3]!);
    // 100 + 100 + 400 bytes: the oldest goes, and 500 bytes are kept.
    expect(dropped).toEqual([items[0], items[1]]);
    expect(kept.size).toBe(2);
  });

  test("everything is dropped once nothing was taken or kept for the idle time, counted from the last of either", () => {
    vi.useFakeTimers();
    const { kept, dropped } = keeper();
    kept.take(100);
    vi.advanceTimersByTime(20_000);
    // A round longer than the idle time: its memory kept at its end is kept from then on.
    const late = new ArrayBuffer(100);
    kept.keep(late);
    vi.advanceTimersByTime(29_000);
    expect(kept.size).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(kept.size).toBe(0);
    expect(dropped).toEqual([late]);
  });
});
