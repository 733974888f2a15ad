import { getHubConfig } from "@/server/config";
import { releaseBuffer } from "@/protocol/release-buffer";

/**
 * Memory for update bodies, kept for the next updates of the same size rather than freed and
 * allocated again: every update of a round is the size of its model, and memory the process has
 * not touched before costs a page fault per 4 KB page the first time it is written. On this
 * project's 2-core virtual machine that is about 3 ms per megabyte (12 µs a fault), against 0.06 ms
 * per megabyte to copy into memory already touched: reading a 50-site round of 40 MB updates into
 * fresh buffers cost the hub's event loop about 6 s of page faults.
 *
 * Up to FLIP_UPDATE_CONCURRENCY + 3 buffers are kept (the bodies one round can hold at once: one per
 * update slot, and up to three waiting in the running sum to be folded four together), at most
 * MAX_KEPT_BYTES of them, and all are freed once no update has been read for IDLE_MS, so a process
 * between rounds gives the memory back.
 *
 * A buffer comes back only through `giveBack`, once nothing reads it again: the next body is read
 * into it. Only buffers lent here are taken back, each once.
 */
const IDLE_MS = 30_000;
/** However many bodies that is: a 50 M-parameter model's are 200 MB each. */
const MAX_KEPT_BYTES = 512 * 1024 * 1024;

const free: ArrayBuffer[] = [];
// The view each buffer was last lent as: only that view gives it back, and only once.
const lent = new WeakMap<ArrayBuffer, Uint8Array>();
let idleTimer: NodeJS.Timeout | undefined;
const counts = { allocated: 0, reused: 0 };

const maxKept = () => getHubConfig().FLIP_UPDATE_CONCURRENCY + 3;

/** A buffer of `size` bytes for an update body, with whatever it held before: the reader overwrites what it returns. */
export function lendBody(size: number): Uint8Array {
  keepUntilIdle();
  // The one given back last: the likeliest still in the CPU's caches.
  const index = free.findLastIndex((buffer) => buffer.byteLength === size);
  const buffer = index >= 0 ? free.splice(index, 1)[0]! : new ArrayBuffer(size);
  counts[index >= 0 ? "reused" : "allocated"]++;
  const body = new Uint8Array(buffer);
  lent.set(buffer, body);
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
    if (!free.includes(buffer)) releaseBuffer(body);
    return;
  }
  if (lentAs !== body) return;
  lent.delete(buffer);
  free.push(buffer);
  let keptBytes = free.reduce((bytes, kept) => bytes + kept.byteLength, 0);
  while (free.length > maxKept() || keptBytes > MAX_KEPT_BYTES) {
    const oldest = free.shift()!;
    keptBytes -= oldest.byteLength;
    releaseBuffer(new Uint8Array(oldest));
  }
}

function keepUntilIdle(): void {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    for (const buffer of free.splice(0)) releaseBuffer(new Uint8Array(buffer));
  }, IDLE_MS);
  idleTimer.unref();
}

/** Bodies kept for reuse now, and bodies lent so far from new memory and from kept memory. @internal for tests. */
export function bodyMemory() {
  return { kept: free.length, ...counts };
}
