import { createHash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { readStream } from "@/protocol/read-stream";
import { decodeAddressedTensors, encodeTensors } from "@/protocol/tensor-codec";
import { MAX_WEIGHTS_BYTES } from "@/workers/hub-client";
import { runSite, type SiteCredentials, type SiteReport } from "./stand-in-site";

/**
 * The stand-in sites of bench:round and bench:secagg, in a thread of their own (started by
 * `startFleet` in round-fleet.ts). Real sites hash, decode and encode on their own machines, so
 * that work must not queue on the hub's event loop and count as the hub's overhead. The plain
 * transfer the rounds are compared with runs its clients here too, so both pay the same. With
 * `codec`, its clients also do a worker's own work on the bytes: check and decode each download,
 * encode (and so hash) each upload.
 */
export type FleetJob =
  | { mode: "sites"; hubUrl: string; trainMs: number[]; sites: SiteCredentials[] }
  | { mode: "plain"; url: string; file: Uint8Array; sites: number; codec: boolean };

export type FleetMessage =
  | SiteReport
  | { kind: "plain"; ms: number[] }
  | { kind: "failed"; message: string }
  | { kind: "ready" }
  | { kind: "stopped" };

const job = workerData as FleetJob;
const post = (message: FleetMessage) => parentPort!.postMessage(message);

function describe(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  return `${error instanceof Error ? error.message : String(error)}${cause?.code ? ` (${cause.code})` : ""}`;
}

if (job.mode === "sites") {
  const stop = new AbortController();
  parentPort!.once("message", () => stop.abort());
  const running = job.sites.map((site, i) =>
    runSite(site, { hubUrl: job.hubUrl, trainMs: job.trainMs[i]!, report: post }, stop.signal),
  );
  void Promise.allSettled(running).then((outcomes) => {
    for (const outcome of outcomes) if (outcome.status === "rejected") console.error(outcome.reason);
    post({ kind: "stopped" });
  });
  // Loaded and claiming: the bench starts its job only now, so the thread's start-up is not a round's overhead.
  post({ kind: "ready" });
} else {
  void plainTransfers(job).then(
    (ms) => post({ kind: "plain", ms }),
    (error: unknown) => post({ kind: "failed", message: `the plain transfer failed: ${describe(error)}` }),
  );
}

/** The sites' concurrent downloads, then their concurrent uploads, over plain HTTP: once to warm up, then three times. */
async function plainTransfers({ url, file, sites, codec }: Extract<FleetJob, { mode: "plain" }>): Promise<number[]> {
  const sha256 = createHash("sha256").update(file).digest("hex");
  const once = async () => {
    const started = performance.now();
    const downloads = await Promise.all(
      Array.from({ length: sites }, async () => {
        const response = await fetch(url);
        // As the worker reads weights (workers/hub-client.ts): into one buffer of the declared length,
        // and the file checked against its address, once.
        const bytes = await readStream(response.body, {
          declared: Number(response.headers.get("content-length") ?? 0),
          limit: MAX_WEIGHTS_BYTES,
        });
        return codec ? decodeAddressedTensors(bytes, sha256).tensors : null;
      }),
    );
    await Promise.all(
      downloads.map((tensors) =>
        // As the worker sends an update (workers/hub-client.ts): one chunk of declared length, not copied by fetch.
        send(url, tensors ? encodeTensors(tensors) : file),
      ),
    );
    return performance.now() - started;
  };
  await once();
  return [await once(), await once(), await once()];
}

function send(url: string, bytes: Uint8Array): Promise<string> {
  return fetch(url, {
    method: "POST",
    headers: { "content-length": String(bytes.byteLength) },
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    }),
    duplex: "half",
  } as RequestInit).then((r) => r.text());
}
