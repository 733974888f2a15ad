import { describe, expect, test } from "vitest";
import { releaseBuffer } from "./release-buffer";

const isDetached = (view: ArrayBufferView) => (view.buffer as ArrayBuffer & { detached: boolean }).detached;

describe("releasing a buffer nothing will read again", () => {
  test("a view spanning its whole buffer is detached: every view of it reads as empty", () => {
    const body = Buffer.allocUnsafeSlow(4096).fill(7);
    const tensor = new Float32Array(body.buffer, 0, 1024);
    releaseBuffer(body);
    expect(isDetached(body)).toBe(true);
    expect(body.byteLength).toBe(0);
    expect(tensor.length).toBe(0);
    releaseBuffer(body); // twice is harmless
  });

  test("a view sharing its buffer with others (Node's pool, a slice of a larger read) is left alone", () => {
    const pooled = Buffer.from("a small string from Node's shared buffer pool");
    const neighbour = Buffer.from("another one beside it");
    const slice = new Uint8Array(1024).subarray(0, 512);
    const tail = new Uint8Array(1024).subarray(512);
    for (const view of [pooled, slice, tail]) releaseBuffer(view);
    expect(pooled.toString()).toBe("a small string from Node's shared buffer pool");
    expect(neighbour.toString()).toBe("another one beside it");
    expect([slice.byteLength, tail.byteLength]).toEqual([512, 512]);
  });

  test("a buffer that cannot be detached is left to the collector: a WebAssembly memory, a SharedArrayBuffer", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const whole = new Uint8Array(memory.buffer);
    const shared = new Uint8Array(new SharedArrayBuffer(64));
    expect(() => releaseBuffer(whole)).not.toThrow();
    releaseBuffer(shared);
    expect([whole.byteLength, shared.byteLength]).toEqual([65_536, 64]);
  });
});
