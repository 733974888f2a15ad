import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { decodeTensors, encodeTensors, TensorCodecError, type NamedTensor } from "./tensor-codec";

const MODEL: NamedTensor[] = [
  { name: "conv1/kernel", shape: [3, 3, 1, 2], data: Float32Array.from({ length: 18 }, (_, i) => i / 7 - 1) },
  { name: "conv1/bias", shape: [2], data: new Float32Array([Math.fround(0.1), -0]) },
  { name: "scale", shape: [], data: new Float32Array([Math.PI]) },
  { name: "empty", shape: [0, 4], data: new Float32Array(0) },
];

/** Builds a payload by hand so tests can send manifests the encoder would never write. */
function rawPayload(manifest: object, data: Uint8Array, magic = "FLIPW1"): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const dataStart = (10 + json.length + 3) & ~3;
  const out = new Uint8Array(dataStart + data.length);
  out.set(new TextEncoder().encode(magic), 0);
  new DataView(out.buffer).setUint32(6, json.length, true);
  out.set(json, 10);
  out.set(data, dataStart);
  return out;
}

function codecError(bytes: Uint8Array): string {
  try {
    decodeTensors(bytes);
  } catch (error) {
    if (error instanceof TensorCodecError) return error.message;
    throw error;
  }
  throw new Error("expected the payload to be refused");
}

describe("tensor codec", () => {
  test("round-trips names, shapes and exact float32 values as views on the payload", () => {
    const bytes = encodeTensors(MODEL);
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe("FLIPW1");
    const { manifest, tensors } = decodeTensors(bytes);
    expect(manifest.dtype).toBe("float32");
    expect(manifest.tensors.map((t) => [t.name, t.offset, t.length])).toEqual([
      ["conv1/kernel", 0, 72],
      ["conv1/bias", 72, 8],
      ["scale", 80, 4],
      ["empty", 84, 0],
    ]);
    expect(tensors.map((t) => ({ name: t.name, shape: t.shape, data: Array.from(t.data) }))).toEqual(
      MODEL.map((t) => ({ name: t.name, shape: t.shape, data: Array.from(t.data) })),
    );
    expect(Object.is(tensors[1]!.data[1], -0)).toBe(true);
    expect(tensors[0]!.data.buffer).toBe(bytes.buffer);
  });

  test("decodes a payload that sits at an unaligned offset by copying it once", () => {
    const bytes = encodeTensors(MODEL);
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const { tensors } = decodeTensors(shifted);
    expect(Array.from(tensors[0]!.data)).toEqual(Array.from(MODEL[0]!.data));
  });

  test("refuses a payload whose data no longer matches its hash", () => {
    const bytes = encodeTensors(MODEL);
    bytes[bytes.length - 5]! ^= 0x01;
    expect(codecError(bytes)).toMatch(
      /^content hash mismatch: manifest says [0-9a-f]{64}, data hashes to [0-9a-f]{64}; the payload was corrupted in transit$/,
    );
  });

  test("refuses truncated payloads, in the data and in the header", () => {
    const bytes = encodeTensors(MODEL);
    expect(codecError(bytes.subarray(0, bytes.length - 4))).toBe(
      "payload is truncated: manifest describes 84 data bytes, found 80",
    );
    expect(codecError(bytes.subarray(0, 40))).toMatch(
      /^payload is truncated: manifest needs \d+ bytes, only 30 present$/,
    );
    expect(codecError(bytes.subarray(0, 5))).toBe("payload is 5 bytes, shorter than the 10-byte header");
  });

  test("refuses a misaligned tensor", () => {
    const data = new Uint8Array(8);
    const sha256 = createHash("sha256").update(data).digest("hex");
    const manifest = {
      dtype: "float32",
      sha256,
      tensors: [
        { name: "a", shape: [1], offset: 2, length: 4 },
        { name: "b", shape: [1], offset: 6, length: 4 },
      ],
    };
    expect(codecError(rawPayload(manifest, data))).toBe(
      "tensor a is misaligned: offset 2 and length 4 must be multiples of 4",
    );
  });

  test("refuses the wrong magic, a bad manifest and shape/length disagreements", () => {
    const bytes = encodeTensors(MODEL);
    bytes.set(new TextEncoder().encode("PK"), 0);
    expect(codecError(bytes)).toBe('payload does not start with "FLIPW1" (got "PKIPW1"); not a FLIP tensor file');

    const data = new Uint8Array(8);
    const sha256 = createHash("sha256").update(data).digest("hex");
    expect(codecError(rawPayload({ dtype: "float64", sha256, tensors: [] }, data))).toMatch(/^manifest\.dtype: /);
    const wrongShape = { dtype: "float32", sha256, tensors: [{ name: "a", shape: [3], offset: 0, length: 8 }] };
    expect(codecError(rawPayload(wrongShape, data))).toBe("tensor a has 8 bytes, shape [3] needs 12");
  });

  test("refuses to encode a tensor whose data does not fill its shape", () => {
    expect(() => encodeTensors([{ name: "w", shape: [2, 2], data: new Float32Array(3) }])).toThrow(
      "tensor w has 3 values, shape [2,2] needs 4",
    );
  });
});
