import { getHubConfig } from "@/server/config";
import { createKeptMemory } from "@/server/lib/kept-memory";
import { releaseBuffer } from "@/protocol/release-buffer";

/**
 * Memory for update bodies, kept for the next updates of the same size rather than freed and
 * allocated again (server/lib/kept-memory.ts): every update of a round is the size of its model,
 * and reading a 50-site round of 40 MB updates into fresh buffers cost the hub's event loop about
 * 6 s of page faults on this project's 2-core virtual machine.
 *
 * Up to FLIP_UPDATE_CONCURRENCY + 3 buffers are kept (the bodies one round can hold at once: one per
 * update slot, and up to three waiting in the running sum to be folded four together), at most
 * MAX_KEPT_BYTES of them, and all are freed once no body has been lent or given back for 30 s, so a
 * process between rounds gives the memory back.
 *
 * A buffer comes back only through `giveBack`, once nothing reads it again: the next body is read
 * into it. Only buffers lent here are taken back, each once.
 */
/** However many bodies that is: a 50 M-parameter model's are 200 MB each. */
const MAX_KEPT_BYTES = 512 * 1024 * 1024;

const kept = createKeptMemory<ArrayBuffer>({
  bytesOf: (buffer) => buffer.byteLength,
  maxKept: () => getHubConfig().FLIP_UPDATE_CONCURRENCY + 3,
  maxBytes: MAX_KEPT_BYTES,
  drop: (buffer) => releaseBuffer(new Uint8Array(buffer)),
});
// The view each buffer was last lent as: only that view gives it back, and only once.
const lent = new WeakMap<ArrayBuffer, Uint8Array>();
const counts = { allocated: 0, reused: 0 };

/** A buffer of `size` bytes for an update body, with whatever it held before: the reader overwrites what it returns. */
export function lendBody(size: number): Uint8Array {
  const reused = kept.take(size);
  counts[reused ? "reused" : "allocated"]++;
  const body = new Uint8Array(reused ?? new ArrayBuffer(size));
  lent.set(body.buffer, body);
  return body;
}

/**
 * Takes back a body `lendBody` lent, for the next update. Anything else is freed as before, and a
 * body given back already (its memory may be lent again meanwhile) is ignored.
 */
export function giveBack(body: Uint8Array): void {
  const buffer = body.buffer;
  if (!(buffer instanceof ArrayBuffer)) return;
  const lentAs = lent.get(buffer);
  if (lentAs === undefined) {
    // Not kept here either (given back already): memory from elsewhere, freed now.
    if (!kept.holds(buffer)) releaseBuffer(body);
    return;
  }
  if (lentAs !== body) return;
  lent.delete(buffer);
  kept.keep(buffer);
}

/** Bodies kept for reuse now, and bodies lent so far from new memory and from kept memory. @internal for tests. */
export function bodyMemory() {
  return { kept: kept.size, ...counts };
}
