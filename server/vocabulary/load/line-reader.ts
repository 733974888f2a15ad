import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";

/**
 * Reads a text file as batches of lines (one batch per 1 MiB read), reporting bytes consumed, so a
 * file of any size streams through in bounded memory. The last line may lack its newline.
 */
export async function* readLineBatches(path: string): AsyncGenerator<{ lines: string[]; bytesRead: number }> {
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let bytesRead = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    bytesRead += chunk.length;
    const text = carry + decoder.write(chunk);
    const lines = text.split("\n");
    carry = lines.pop()!;
    yield { lines, bytesRead };
  }
  const rest = carry + decoder.end();
  yield { lines: rest === "" ? [] : [rest], bytesRead };
}
