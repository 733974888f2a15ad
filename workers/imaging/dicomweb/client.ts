import { randomBytes } from "node:crypto";
import { createBackoff, sleep } from "../../backoff";
import { ImageReadError } from "../image-error";
import { createAgent, request, ResponseTooLargeError, type HttpResponse, type TlsOptions } from "./http";
import { boundaryOf, buildMultipart, parseMultipart } from "./multipart";

/**
 * The Trust's PACS or VNA over DICOMweb: QIDO-RS finds a series, WADO-RS retrieves its instances
 * as DICOM Part 10, STOW-RS stores instances (the demo loads its synthetic series this way).
 * Authentication is a header (Basic or Bearer, as the PACS wants) and/or a client certificate;
 * at most `concurrency` requests are in flight; a connection failure, a timeout, 429 or a 5xx is
 * retried with jittered backoff, anything else is an answer.
 */
export type DicomwebSettings = {
  baseUrl: string;
  headers: Record<string, string>;
  tls: TlsOptions;
  concurrency: number;
  retries: number;
  timeoutMs: number;
  /** The largest series retrieved, in bytes: a runaway answer is cut off rather than filling memory. */
  maxSeriesBytes: number;
};

export type SeriesMatch = { modality: string | null; instances: number | null };

export type DicomwebClient = {
  findSeries(studyUid: string, seriesUid: string, signal: AbortSignal): Promise<SeriesMatch | null>;
  retrieveSeries(studyUid: string, seriesUid: string, signal: AbortSignal): Promise<Uint8Array[]>;
  storeInstances(instances: readonly Uint8Array[], signal: AbortSignal): Promise<void>;
  close(): void;
};

const UID = /^[0-9]+(\.[0-9]+)*$/;

export function createDicomwebClient(settings: DicomwebSettings): DicomwebClient {
  const base = new URL(settings.baseUrl.endsWith("/") ? settings.baseUrl : `${settings.baseUrl}/`);
  const agent = createAgent(base, settings.tls, settings.concurrency);
  const gate = createSemaphore(settings.concurrency);

  async function send(
    path: string,
    init: { method: "GET" | "POST"; accept: string; body?: Buffer; contentType?: string; maxBytes: number },
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    const url = new URL(path, base);
    const backoff = createBackoff({ baseMs: 250, capMs: 5_000 });
    for (let attempt = 0; ; attempt++) {
      let response: HttpResponse | null = null;
      let failure: unknown = null;
      await gate.run(async () => {
        try {
          response = await request({
            url,
            method: init.method,
            headers: {
              accept: init.accept,
              ...(init.contentType ? { "content-type": init.contentType } : {}),
              ...settings.headers,
            },
            body: init.body,
            timeoutMs: settings.timeoutMs,
            maxBytes: init.maxBytes,
            signal,
            agent,
          });
        } catch (error) {
          failure = error;
        }
      });
      if (failure instanceof ResponseTooLargeError) throw new ImageReadError("unsupported", failure.message);
      const res = response as HttpResponse | null;
      const isRetryable = res === null ? !signal.aborted : res.status === 429 || res.status >= 500;
      if (!isRetryable && res) return res;
      if (!isRetryable || attempt >= settings.retries)
        throw new ImageReadError(
          "unreadable",
          res
            ? `the PACS answered HTTP ${res.status} after ${attempt + 1} attempts`
            : `the PACS could not be reached (${describe(failure)})`,
        );
      await sleep(backoff.nextDelayMs(), signal);
    }
  }

  const checkUids = (...uids: string[]) => {
    if (!uids.every((uid) => UID.test(uid) && uid.length <= 64))
      throw new ImageReadError("unreadable", "the row's study or series UID is not a DICOM UID");
  };

  const refused = (res: HttpResponse, what: string): never => {
    if (res.status === 401 || res.status === 403)
      throw new ImageReadError("unreadable", `the PACS refused the worker's credentials (HTTP ${res.status})`);
    throw new ImageReadError("unreadable", `${what} failed with HTTP ${res.status}`);
  };

  return {
    async findSeries(studyUid, seriesUid, signal) {
      checkUids(studyUid, seriesUid);
      const res = await send(
        `studies/${studyUid}/series?SeriesInstanceUID=${seriesUid}&includefield=00201209`,
        { method: "GET", accept: "application/dicom+json", maxBytes: 1024 * 1024 },
        signal,
      );
      if (res.status === 404 || res.status === 204) return null;
      if (res.status !== 200) refused(res, "QIDO-RS");
      const matches = JSON.parse(Buffer.from(res.body).toString("utf8") || "[]") as Record<
        string,
        { Value?: unknown[] }
      >[];
      const match = matches[0];
      if (!match) return null;
      return {
        modality: (match["00080060"]?.Value?.[0] as string | undefined) ?? null,
        instances: (match["00201209"]?.Value?.[0] as number | undefined) ?? null,
      };
    },

    async retrieveSeries(studyUid, seriesUid, signal) {
      checkUids(studyUid, seriesUid);
      const res = await send(
        `studies/${studyUid}/series/${seriesUid}`,
        {
          method: "GET",
          // As stored: the worker decodes the compressed syntaxes itself, and transcoding costs the PACS.
          accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
          maxBytes: settings.maxSeriesBytes,
        },
        signal,
      );
      if (res.status === 404) throw new ImageReadError("missing", "the PACS has no such series");
      if (res.status !== 200) refused(res, "WADO-RS");
      const boundary = boundaryOf(String(res.headers["content-type"] ?? ""));
      if (!boundary) throw new ImageReadError("unreadable", "the WADO-RS answer is not multipart/related");
      try {
        return parseMultipart(res.body, boundary).map((part) => part.body);
      } catch (error) {
        throw new ImageReadError("unreadable", `the WADO-RS answer could not be parsed (${describe(error)})`);
      }
    },

    async storeInstances(instances, signal) {
      const boundary = `flip-${randomBytes(12).toString("hex")}`;
      const res = await send(
        "studies",
        {
          method: "POST",
          accept: "application/dicom+json",
          contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
          body: buildMultipart(instances, boundary, "application/dicom"),
          maxBytes: 16 * 1024 * 1024,
        },
        signal,
      );
      if (res.status !== 200 && res.status !== 202) refused(res, "STOW-RS");
    },

    close() {
      agent.destroy();
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

function createSemaphore(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(work: () => Promise<void>): Promise<void> {
      // A finishing request hands its slot straight to the next waiter, so the limit is never passed.
      if (active < limit) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        await work();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
  };
}
