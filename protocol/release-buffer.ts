/**
 * Frees the memory behind a buffer now rather than at V8's next full collection, for the large,
 * short-lived buffers of the binary routes: a request body's chunks once copied into the body, an
 * update once folded into the round's sum. It detaches the buffer's ArrayBuffer (`transfer(0)`),
 * so every view of it reads as empty from then on: call it only when nothing will read it again.
 *
 * Why not leave them to the collector: V8 adds every ArrayBuffer byte allocated since its last
 * full collection to the old generation's size when it decides whether to start the next one, and
 * a round is made of such bytes (a 4 MB update arrives as 64 KB copies from Node's HTTP parser,
 * then sits in a body of its own). The hub ran two or three full collections a round, each marking
 * its whole heap again on V8's helper threads; the bytes left to the collector also piled up
 * between them (see ARCHITECTURE.md, "Processes").
 *
 * A view that does not span its whole ArrayBuffer (a slice of Node's buffer pool or of a larger
 * read) shares it with others and is left alone, as is a buffer that cannot be detached (a
 * WebAssembly memory, a SharedArrayBuffer). Never release a buffer handed to I/O that may still be
 * under way (a socket write, an upload's body): the memory would go from under it. What is released
 * here was only ever read by JavaScript: chunks the HTTP parser or fetch copied out for the reader,
 * and a body the hub read them into.
 */
export function releaseBuffer(view: ArrayBufferView): void {
  const buffer = view.buffer as DetachableBuffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  if (view.byteOffset !== 0 || view.byteLength !== buffer.byteLength) return;
  try {
    buffer.transfer(0);
  } catch {
    // Not detachable (V8 refuses for a WebAssembly memory's buffer): the collector frees it in time.
  }
}

// ES2024's ArrayBuffer.prototype.transfer and .detached (Node 22 and 24), beyond the project's ES2023 lib.
type DetachableBuffer = ArrayBuffer & { readonly detached: boolean; transfer(newLength?: number): ArrayBuffer };
