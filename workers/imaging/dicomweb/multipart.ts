/**
 * multipart/related bodies as DICOMweb uses them (PS3.18 8.6.1.2): parse the parts of a WADO-RS
 * response, and build a STOW-RS request. Parts are located by the boundary delimiter, so binary
 * DICOM content is never read as text.
 */
export function boundaryOf(contentType: string): string | null {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  return match ? match[1]! : null;
}

export type Part = { headers: Record<string, string>; body: Uint8Array };

export function parseMultipart(body: Uint8Array, boundary: string): Part[] {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = buffer.indexOf(delimiter);
  while (at !== -1) {
    let start = at + delimiter.length;
    // "--" after a delimiter closes the body.
    if (buffer[start] === 0x2d && buffer[start + 1] === 0x2d) break;
    if (buffer[start] === 0x0d && buffer[start + 1] === 0x0a) start += 2;
    const next = buffer.indexOf(delimiter, start);
    if (next === -1) throw new Error("the multipart body ends without its closing boundary");
    // The CRLF before the next delimiter belongs to the delimiter.
    const end = buffer[next - 2] === 0x0d && buffer[next - 1] === 0x0a ? next - 2 : next;
    const headerEnd = buffer.indexOf("\r\n\r\n", start);
    if (headerEnd === -1 || headerEnd > end) throw new Error("a multipart part has no header block");
    const headers: Record<string, string> = {};
    for (const line of buffer.subarray(start, headerEnd).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: new Uint8Array(buffer.subarray(headerEnd + 4, end)) });
    at = next;
  }
  return parts;
}

export function buildMultipart(parts: readonly Uint8Array[], boundary: string, contentType: string): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Type: ${contentType}\r\n\r\n`),
      Buffer.from(part),
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}
