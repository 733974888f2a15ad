import { describe, expect, it } from "vitest";
import { createWorkSlots } from "./work-slots";

/** One slot, held until `free()`, with up to `perKey` waiting per key (10 in all). */
function heldSlot(perKey: number) {
  const slots = createWorkSlots(1, 10, () => new Error("busy"), {
    maxWaiting: perKey,
    onFull: () => new Error("yours are waiting"),
  });
  let free = () => {};
  const holder = slots.run(() => new Promise<void>((resolve) => (free = resolve)));
  return { slots, free: async () => (free(), await holder) };
}

describe("createWorkSlots", () => {
  it("runs at most `size` at once, in arrival order, and refuses callers beyond the waiting limit", async () => {
    const slots = createWorkSlots(1, 2, () => new Error("busy"));
    const started: number[] = [];
    const gates = [0, 1, 2].map(() => {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
    const runs = [0, 1, 2].map((i) =>
      slots.run(async () => {
        started.push(i);
        await gates[i]!.promise;
        return i;
      }),
    );
    await expect(slots.run(async () => 3)).rejects.toThrow("busy");
    expect(started).toEqual([0]);
    expect(slots.waiting).toBe(2);
    gates[0]!.resolve();
    await runs[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    gates[2]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(slots.waiting).toBe(0);
  });

  it("refuses a caller that waited maxWaitMs and takes it out of the line; the slot goes to the next one", async () => {
    const slots = createWorkSlots(1, 5, () => new Error("busy"));
    let free = () => {};
    const holder = slots.run(() => new Promise<void>((resolve) => (free = resolve)));
    const impatient = slots.run(async () => "impatient", { maxWaitMs: 10 });
    const patient = slots.run(async () => "patient");
    await expect(impatient).rejects.toThrow("busy");
    expect(slots.waiting).toBe(1);
    free();
    await holder;
    expect(await patient).toBe("patient");
    expect(slots.waiting).toBe(0);
  });

  it("gives freed slots to the keys in turn, in arrival order within a key, and refuses a key past its own limit", async () => {
    const { slots, free } = heldSlot(2);
    const order: string[] = [];
    const run = (name: string, key: string) => slots.run(async () => void order.push(name), { key });
    const runs = [run("a1", "a"), run("a2", "a"), run("b1", "b"), run("c1", "c"), run("b2", "b")];
    await expect(run("a3", "a")).rejects.toThrow("yours are waiting");
    await free();
    await Promise.all(runs);
    expect(order).toEqual(["a1", "b1", "c1", "a2", "b2"]);
    expect(slots.waiting).toBe(0);
  });

  it("takes a keyed caller that waited maxWaitMs out of its key's line, and the others keep their turns", async () => {
    const { slots, free } = heldSlot(1);
    const order: string[] = [];
    const impatient = slots.run(async () => void order.push("a1"), { key: "a", maxWaitMs: 10 });
    const patient = slots.run(async () => void order.push("b1"), { key: "b" });
    await expect(impatient).rejects.toThrow("busy");
    // Its line is empty again, so the key may wait once more.
    const again = slots.run(async () => void order.push("a2"), { key: "a" });
    expect(slots.waiting).toBe(2);
    await free();
    await Promise.all([patient, again]);
    expect(order).toEqual(["b1", "a2"]);
  });
});
