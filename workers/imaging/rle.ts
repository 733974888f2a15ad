/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, one PackBits segment
 * per byte plane, most significant plane first. Returns the frame as little-endian samples, as a
 * native frame would be; a malformed frame throws rather than returning a partial image.
 */
export function decodeRleFrame(frame: Uint8Array, pixels: number, bytesPerSample: number, samples: number): Uint8Array {
  if (frame.length < 64) throw new Error("RLE frame shorter than its header");
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== bytesPerSample * samples)
    throw new Error(`RLE frame has ${segments} segments, expected ${bytesPerSample * samples}`);
  const offsets = Array.from({ length: segments }, (_, i) => view.getUint32(4 + 4 * i, true));
  const out = new Uint8Array(pixels * bytesPerSample * samples);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : frame.length;
    if (start < 64 || end > frame.length || end < start) throw new Error("RLE segment offsets are out of range");
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    const stride = bytesPerSample * samples;
    const base = sample * bytesPerSample + byteInSample;
    let written = 0;
    let at = start;
    const put = (byte: number) => {
      if (written < pixels) out[base + written * stride] = byte;
      written++;
    };
    while (at < end && written < pixels) {
      const header = frame[at++]!;
      if (header < 128) {
        for (let i = 0; i <= header && at < end; i++) put(frame[at++]!);
      } else if (header > 128) {
        const byte = frame[at++]!;
        for (let i = 0; i < 257 - header; i++) put(byte);
      }
    }
    if (written < pixels) throw new Error("RLE segment ends before the frame is complete");
  }
  return out;
}
