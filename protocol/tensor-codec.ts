import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * Binary format for model weights (hub -> site) and updates (site -> hub), sent as
 * `application/octet-stream`. JSON arrays of numbers are ~4x larger and lose float32 identity.
 *
 *   bytes 0..5   ASCII magic "FLIPW1"
 *   bytes 6..9   uint32 little-endian: manifest length in bytes
 *   then         UTF-8 JSON manifest (see ZTensorManifest)
 *   then         zero padding so the data section starts on a 4-byte boundary
 *   then         data section: little-endian float32 values, tensors back to back in manifest order
 *
 * Manifest `offset` and `length` are in BYTES relative to the start of the data section, so a
 * reader can slice a tensor without knowing the dtype. `sha256` is the hex digest of the data
 * section only; the manifest itself is checked by schema and against the data it describes.
 */
export const TENSOR_MAGIC = "FLIPW1";

const HEADER_BYTES = TENSOR_MAGIC.length + 4;
// A manifest for a model with thousands of tensors is well under this; anything larger is hostile.
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TENSORS = 10_000;

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

const ZTensorEntry = z.object({
  name: z.string().min(1).max(200),
  shape: z.array(z.number().int().nonnegative()).max(8),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

export const ZTensorManifest = z.object({
  tensors: z.array(ZTensorEntry).max(MAX_TENSORS),
  dtype: z.literal("float32"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters"),
});
export type TensorManifest = z.infer<typeof ZTensorManifest>;

/** Every refusal of a payload; the message is meant to be shown to the site operator as is. */
export class TensorCodecError extends Error {
  override name = "TensorCodecError";
}

export function countElements(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

// Float32Array views use host byte order; every mainstream host is little-endian, but a view on
// a big-endian host would silently read garbage, so such hosts take the copying path.
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function align4(n: number): number {
  return (n + 3) & ~3;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Each tensor copied once, straight into the file; the data section's hash is taken from the file. */
export function encodeTensors(tensors: readonly NamedTensor[]): Uint8Array {
  for (const tensor of tensors) {
    const expected = countElements(tensor.shape);
    if (tensor.data.length !== expected) {
      throw new TensorCodecError(
        `tensor ${tensor.name} has ${tensor.data.length} values, shape ${formatShape(tensor.shape)} needs ${expected}`,
      );
    }
  }
  return encodeTensorsWith(tensors, (index, out) => out.set(tensors[index]!.data)).bytes;
}

/**
 * A tensor file for tensors named and shaped as `spec`, each tensor's values written by `fill`
 * straight into the file (`out`: that tensor's values, zeros until filled), so that computing a
 * model and encoding it takes no model-sized array but the file. Returns the file and its tensors,
 * which on a little-endian host are views of the file: not to be changed once it is returned.
 */
export function encodeTensorsWith(
  spec: readonly { name: string; shape: readonly number[] }[],
  fill: (index: number, out: Float32Array) => void,
): { bytes: Uint8Array; tensors: NamedTensor[] } {
  const entries: TensorManifest["tensors"] = [];
  let dataBytes = 0;
  for (const tensor of spec) {
    const length = countElements(tensor.shape) * 4;
    entries.push({ name: tensor.name, shape: [...tensor.shape], offset: dataBytes, length });
    dataBytes += length;
  }
  // The manifest's length does not depend on its digest (64 hex characters): laid out before the
  // data is filled in, its digest written once the data is there.
  const manifestOf = (sha256: string) =>
    new TextEncoder().encode(JSON.stringify({ tensors: entries, dtype: "float32", sha256 } satisfies TensorManifest));
  const manifestLength = manifestOf("0".repeat(64)).length;
  const dataStart = align4(HEADER_BYTES + manifestLength);
  const out = new Uint8Array(dataStart + dataBytes);
  const tensors = spec.map((tensor, index) => {
    const { offset, length } = entries[index]!;
    const values = IS_LITTLE_ENDIAN
      ? new Float32Array(out.buffer, dataStart + offset, length / 4)
      : new Float32Array(length / 4);
    fill(index, values);
    if (!IS_LITTLE_ENDIAN) out.set(toLittleEndian(values), dataStart + offset);
    return { name: tensor.name, shape: [...tensor.shape], data: values };
  });
  const manifest = manifestOf(sha256Hex(out.subarray(dataStart)));
  out.set(new TextEncoder().encode(TENSOR_MAGIC), 0);
  new DataView(out.buffer).setUint32(TENSOR_MAGIC.length, manifest.length, true);
  out.set(manifest, HEADER_BYTES);
  return { bytes: out, tensors };
}

function toLittleEndian(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  values.forEach((value, j) => view.setFloat32(4 * j, value, true));
  return bytes;
}

function readManifest(bytes: Uint8Array): { manifest: TensorManifest; dataStart: number } {
  if (bytes.length < HEADER_BYTES) {
    throw new TensorCodecError(`payload is ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, TENSOR_MAGIC.length));
  if (magic !== TENSOR_MAGIC) {
    throw new TensorCodecError(
      `payload does not start with "${TENSOR_MAGIC}" (got ${JSON.stringify(magic)}); not a FLIP tensor file`,
    );
  }
  const manifestLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
    TENSOR_MAGIC.length,
    true,
  );
  if (manifestLength > MAX_MANIFEST_BYTES) {
    throw new TensorCodecError(`manifest length ${manifestLength} exceeds the ${MAX_MANIFEST_BYTES}-byte limit`);
  }
  if (HEADER_BYTES + manifestLength > bytes.length) {
    throw new TensorCodecError(
      `payload is truncated: manifest needs ${manifestLength} bytes, only ${bytes.length - HEADER_BYTES} present`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + manifestLength)),
    );
  } catch {
    throw new TensorCodecError("manifest is not valid UTF-8 JSON");
  }
  const parsed = ZTensorManifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `manifest.${issue.path.join(".")}` : "manifest";
    throw new TensorCodecError(`${where}: ${issue?.message ?? "invalid"}`);
  }
  return { manifest: parsed.data, dataStart: align4(HEADER_BYTES + manifestLength) };
}

/** Checks the manifest describes the data section exactly: contiguous, aligned, shapes consistent. */
function checkLayout(manifest: TensorManifest, dataBytes: number): void {
  let expectedOffset = 0;
  for (const entry of manifest.tensors) {
    if (entry.offset % 4 !== 0 || entry.length % 4 !== 0) {
      throw new TensorCodecError(
        `tensor ${entry.name} is misaligned: offset ${entry.offset} and length ${entry.length} must be multiples of 4`,
      );
    }
    if (entry.offset !== expectedOffset) {
      throw new TensorCodecError(
        `tensor ${entry.name} starts at byte ${entry.offset}, expected ${expectedOffset} (tensors must be back to back)`,
      );
    }
    const needed = 4 * countElements(entry.shape);
    if (entry.length !== needed) {
      throw new TensorCodecError(
        `tensor ${entry.name} has ${entry.length} bytes, shape ${formatShape(entry.shape)} needs ${needed}`,
      );
    }
    expectedOffset += entry.length;
  }
  if (expectedOffset !== dataBytes) {
    const what = expectedOffset > dataBytes ? "truncated" : "longer than its manifest";
    throw new TensorCodecError(
      `payload is ${what}: manifest describes ${expectedOffset} data bytes, found ${dataBytes}`,
    );
  }
}

/**
 * Decodes and verifies a payload. Tensors are zero-copy views into `bytes` when the data section
 * is 4-byte aligned in memory (e.g. a fresh ArrayBuffer); otherwise (a pooled Node Buffer, or a
 * big-endian host) the data is copied once. Keep `bytes` alive and unmodified while views are used.
 */
export function decodeTensors(bytes: Uint8Array): { manifest: TensorManifest; tensors: NamedTensor[] } {
  return decode(bytes, { isDataChecked: false });
}

/**
 * Decodes a file whose SHA-256 as a whole must be `sha256`, its content address (a stored model the
 * hub names): one hash over the file rather than that and another over its data section, since a
 * file identical to the stored one holds the data its manifest hashed.
 */
export function decodeAddressedTensors(
  bytes: Uint8Array,
  sha256: string,
): { manifest: TensorManifest; tensors: NamedTensor[] } {
  const actual = sha256Hex(bytes);
  if (actual !== sha256)
    throw new TensorCodecError(
      `content hash mismatch: the file should hash to ${sha256}, it hashes to ${actual}; the payload was corrupted in transit`,
    );
  return decode(bytes, { isDataChecked: true });
}

function decode(bytes: Uint8Array, { isDataChecked }: { isDataChecked: boolean }) {
  const { manifest, dataStart } = readManifest(bytes);
  if (dataStart > bytes.length) {
    throw new TensorCodecError(
      `payload is truncated: data section should start at byte ${dataStart}, payload has ${bytes.length}`,
    );
  }
  const dataSection = bytes.subarray(dataStart);
  checkLayout(manifest, dataSection.length);
  const actualHash = isDataChecked ? manifest.sha256 : sha256Hex(dataSection);
  if (actualHash !== manifest.sha256) {
    throw new TensorCodecError(
      `content hash mismatch: manifest says ${manifest.sha256}, data hashes to ${actualHash}; the payload was corrupted in transit`,
    );
  }

  const canView = IS_LITTLE_ENDIAN && dataSection.byteOffset % 4 === 0;
  const source = canView ? dataSection : copyToAligned(dataSection);
  const tensors = manifest.tensors.map((entry) => ({
    name: entry.name,
    shape: entry.shape,
    data: new Float32Array(source.buffer, source.byteOffset + entry.offset, entry.length / 4),
  }));
  return { manifest, tensors };
}

function copyToAligned(dataSection: Uint8Array): Uint8Array {
  const copy = new Uint8Array(dataSection.length);
  if (IS_LITTLE_ENDIAN) {
    copy.set(dataSection);
    return copy;
  }
  const from = new DataView(dataSection.buffer, dataSection.byteOffset, dataSection.byteLength);
  const to = new Float32Array(copy.buffer);
  for (let i = 0; i < to.length; i++) to[i] = from.getFloat32(4 * i, true);
  return copy;
}
