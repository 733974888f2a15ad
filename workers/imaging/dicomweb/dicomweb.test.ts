import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLogger } from "../../log";
import { isOrthancInstalled, startOrthanc, type RunningOrthanc } from "../../test-support/orthanc";
import { readDicom } from "../dicom-file";
import { loadVolume } from "../image-source";
import { seriesUids, writeSeries, type SeriesSpec } from "../synthetic-series";
import { createDicomwebClient, type DicomwebSettings } from "./client";
import { createPacsRetriever } from "./retriever";
import { createSeriesCache } from "./series-cache";

/**
 * The worker against a real PACS: Orthanc with its DICOMweb plugin on loopback. Series go in over
 * STOW-RS and come back through QIDO-RS and WADO-RS into the same volumes a folder gives.
 */
const quiet = createLogger({}, { write: () => undefined });
const signal = new AbortController().signal;
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});
const settings = (baseUrl: string, overrides: Partial<DicomwebSettings> = {}): DicomwebSettings => ({
  baseUrl,
  headers: basic("flip", "s3cret"),
  tls: {},
  concurrency: 2,
  retries: 3,
  timeoutMs: 10_000,
  maxSeriesBytes: 64 * 1024 * 1024,
  ...overrides,
});
const ct = (seed: string): SeriesSpec => ({
  modality: "CT",
  seed,
  patient: { id: `PAT-${seed}`, name: "Synthetic^Person", birthDate: "19550505", sex: "F" },
  studyDate: "20240301",
  rows: 8,
  columns: 8,
  slices: [10, 20, 30, 40, 50].map((hu) => new Float32Array(64).fill(hu)),
});

describe.skipIf(!isOrthancInstalled)("DICOMweb against Orthanc", () => {
  let orthanc: RunningOrthanc;
  const cacheDir = mkdtempSync(path.join(tmpdir(), "flip-pacs-cache-"));
  beforeAll(async () => {
    orthanc = await startOrthanc({ users: { flip: "s3cret" } });
    const client = createDicomwebClient(settings(orthanc.dicomwebUrl));
    // Stored in reverse, with a compressed MR image from pydicom's samples in its own series.
    await client.storeInstances([...writeSeries(ct("pacs-a")).map((f) => f.bytes)].reverse(), signal);
    await client.storeInstances(
      writeSeries(ct("pacs-b")).map((f) => f.bytes),
      signal,
    );
    await client.storeInstances(
      [new Uint8Array(readFileSync(path.join(import.meta.dirname, "..", "fixtures", "MR_small_jpeg_ls_lossless.dcm")))],
      signal,
    );
    client.close();
  }, 60_000);
  afterAll(async () => {
    await orthanc?.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  test("QIDO-RS finds a series, WADO-RS retrieves it, and it reads as the volume a folder gives", async () => {
    const client = createDicomwebClient(settings(orthanc.dicomwebUrl));
    const uids = seriesUids("pacs-a");
    expect(await client.findSeries(uids.study, uids.series, signal)).toEqual({ modality: "CT", instances: 5 });
    const pacs = createPacsRetriever(client, createSeriesCache(cacheDir, 10 * 1024 * 1024), quiet);
    const volume = await loadVolume(
      { localPath: null, studyUid: uids.study, seriesUid: uids.series },
      { dataDir: cacheDir, niftiUnits: "hounsfield", pacs, signal },
    );
    expect([volume.depth, volume.rows, volume.columns, volume.units]).toEqual([5, 8, 8, "hounsfield"]);
    expect(Array.from({ length: 5 }, (_, k) => volume.voxels[k * 64])).toEqual([10, 20, 30, 40, 50]);
    client.close();
  });

  test("a compressed object comes back as stored and decodes", async () => {
    const client = createDicomwebClient(settings(orthanc.dicomwebUrl));
    const mr = await readDicom(
      new Uint8Array(readFileSync(path.join(import.meta.dirname, "..", "fixtures", "MR_small.dcm"))),
    );
    const qido = await fetch(`${orthanc.dicomwebUrl}series?Modality=MR`, {
      headers: { ...basic("flip", "s3cret"), accept: "application/dicom+json" },
    });
    const [match] = (await qido.json()) as Record<string, { Value: string[] }>[];
    const objects = await client.retrieveSeries(match!["0020000D"]!.Value[0]!, match!["0020000E"]!.Value[0]!, signal);
    expect((await readDicom(objects[0]!)).frames[0]!.pixels).toEqual(mr.frames[0]!.pixels);
    client.close();
  });

  test("an unknown series is missing, and wrong credentials are named as such, not retried", async () => {
    const client = createDicomwebClient(settings(orthanc.dicomwebUrl));
    const pacs = createPacsRetriever(client, createSeriesCache(cacheDir, 1024 * 1024), quiet);
    await expect(pacs("1.2.3", "1.2.3.4", signal)).rejects.toMatchObject({
      kind: "missing",
      message: "the PACS has no such series (QIDO-RS found none)",
    });
    const proxy = await startFlakyProxy(orthanc.url, 0);
    const wrong = createDicomwebClient(settings(`${proxy.url}/dicom-web/`, { headers: basic("flip", "wrong") }));
    const uids = seriesUids("pacs-b");
    await expect(wrong.findSeries(uids.study, uids.series, signal)).rejects.toThrow(
      "the PACS refused the worker's credentials (HTTP 401)",
    );
    expect(proxy.requests()).toBe(1);
    wrong.close();
    client.close();
    await proxy.close();
  });

  test("failures are retried with backoff, and no more requests than the limit are in flight", async () => {
    const proxy = await startFlakyProxy(orthanc.url, 2);
    const client = createDicomwebClient(settings(`${proxy.url}/dicom-web/`, { concurrency: 2 }));
    const uids = seriesUids("pacs-b");
    // The first two answers are 503: the third attempt succeeds.
    expect(await client.findSeries(uids.study, uids.series, signal)).toMatchObject({ instances: 5 });
    expect(proxy.requests()).toBe(3);
    await Promise.all(Array.from({ length: 6 }, () => client.retrieveSeries(uids.study, uids.series, signal)));
    expect(proxy.maxInFlight()).toBe(2);
    client.close();
    await proxy.close();
  });

  test("a cached series is served from the site's cache without asking the PACS", async () => {
    const uids = seriesUids("pacs-b");
    const cache = createSeriesCache(cacheDir, 10 * 1024 * 1024);
    const proxy = await startFlakyProxy(orthanc.url, 0);
    const client = createDicomwebClient(settings(`${proxy.url}/dicom-web/`));
    const pacs = createPacsRetriever(client, cache, quiet);
    const first = await pacs(uids.study, uids.series, signal);
    const asked = proxy.requests();
    expect(asked).toBe(2); // QIDO-RS, then WADO-RS
    // A fresh cache object over the same folder (a restarted worker) serves it too.
    const again = await createPacsRetriever(client, createSeriesCache(cacheDir, 10 * 1024 * 1024), quiet)(
      uids.study,
      uids.series,
      signal,
    );
    expect(again).toEqual(first);
    expect(proxy.requests()).toBe(asked);
    client.close();
    await proxy.close();
  });

  test("with client certificates: the worker's certificate gets through, a client without one is refused", async () => {
    // Mutual TLS in front of the PACS, as a Trust's reverse proxy does it (Debian's Orthanc 1.10
    // build crashes on its own HTTPS listener, so TLS terminates in a Node server here).
    const pki = makeCertificates();
    const gateway = await startTlsGateway(orthanc.url, pki);
    try {
      const withCert = createDicomwebClient(
        settings(`${gateway.url}/dicom-web/`, {
          tls: { cert: pki.client.cert, key: pki.client.key, ca: pki.ca.cert },
        }),
      );
      const uids = seriesUids("pacs-b");
      expect(await withCert.retrieveSeries(uids.study, uids.series, signal)).toHaveLength(5);
      withCert.close();
      const without = createDicomwebClient(
        settings(`${gateway.url}/dicom-web/`, { retries: 0, tls: { ca: pki.ca.cert } }),
      );
      await expect(without.findSeries(uids.study, uids.series, signal)).rejects.toThrow(/could not be reached/);
      without.close();
      expect(gateway.authorisedRequests()).toBe(1);
    } finally {
      await gateway.close();
    }
  }, 60_000);
});

/** A loopback proxy in front of Orthanc that answers 503 to the first `failures` requests and records concurrency. */
async function startFlakyProxy(targetUrl: string, failures: number) {
  const target = new URL(targetUrl);
  let count = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    count++;
    if (count <= failures) {
      res.writeHead(503).end();
      return;
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
        response.on("end", () => inFlight--);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    maxInFlight: () => maxInFlight,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTPS server that requires a client certificate signed by the test CA and forwards to `targetUrl`. */
async function startTlsGateway(targetUrl: string, pki: ReturnType<typeof makeCertificates>) {
  const target = new URL(targetUrl);
  let authorised = 0;
  const server = createHttpsServer(
    { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      authorised++;
      const upstream = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      req.pipe(upstream);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorisedRequests: () => authorised,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates() {
  const dir = mkdtempSync(path.join(tmpdir(), "flip-pki-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-subj",
    "/CN=FLIP test CA",
    "-days",
    "1",
  );
  for (const [name, subject, ext] of [
    ["server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1"],
    ["client", "/CN=flip-worker", "extendedKeyUsage=clientAuth"],
  ] as const) {
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
    );
  }
  const read = (file: string) => readFileSync(path.join(dir, file), "utf8");
  const pki = {
    ca: { cert: read("ca.crt") },
    server: { cert: read("server.crt"), key: read("server.key") },
    client: { cert: read("client.crt"), key: read("client.key") },
  };
  rmSync(dir, { recursive: true, force: true });
  return pki;
}
