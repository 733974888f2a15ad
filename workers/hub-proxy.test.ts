import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createProxy } from "proxy";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, test } from "vitest";
import { siteHealth } from "@/db/schema";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { makeSiteWithToken, waitFor } from "./test-support/hub-fixture";
import { createOmopFixture, type OmopFixture } from "./test-support/omop-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "./test-support/worker-process";

/** The Trust's outbound proxy and private CA: a real proxy server and a real TLS front on loopback. */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
let hub: { url: string; close: () => Promise<void> };
let proxy: http.Server;
let proxyUrl: string;
let omop: OmopFixture;
/** What the proxy was asked for: `CONNECT host:port` for tunnels, `GET url` for plain requests. */
const seen: string[] = [];
const workers: WorkerProcess[] = [];

const listen = async (server: http.Server) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  hub = await startHubServer(testDb.db());
  omop = await createOmopFixture(adminUrl);
  proxy = createProxy(http.createServer());
  proxy.on("connect", (req: http.IncomingMessage) => seen.push(`CONNECT ${req.url}`));
  proxy.on("request", (req: http.IncomingMessage) => seen.push(`${req.method} ${req.url}`));
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
});
beforeEach(() => {
  seen.length = 0;
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map(killWorker));
});
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await hub?.close();
  await omop?.drop();
});

function startWorker(token: string, site: string, hubUrl: string, env: Record<string, string>, args: string[] = []) {
  const worker = spawnWorker({ args, hubUrl, token, siteDatabaseUrl: omop.url, policy: { site }, env });
  workers.push(worker);
  return worker;
}

async function waitForHeartbeat(siteId: string) {
  return waitFor(async () => {
    const [health] = await testDb.db().select().from(siteHealth).where(eq(siteHealth.siteId, siteId));
    return health?.workerVersion ? health : undefined;
  }, "the worker's first heartbeat");
}

const hostOf = (url: string) => new URL(url).host;

describe("a worker behind the Trust's proxy", () => {
  test(
    "sends its hub calls through HTTPS_PROXY and logs the proxy without credentials",
    { timeout: 60_000 },
    async () => {
      const { site, token } = await makeSiteWithToken(testDb.db(), "KCH", { skipFirstInventory: true });
      const withCredentials = proxyUrl.replace("http://", "http://trust-user:secret-pw@");
      const worker = startWorker(token, "KCH", hub.url, { HTTPS_PROXY: withCredentials, HTTP_PROXY: withCredentials });
      const started = await worker.waitForLog((l) => l.msg === "Worker started");
      expect(started).toMatchObject({ proxy: proxyUrl });
      await waitForHeartbeat(site.id);
      expect(seen).toContain(`CONNECT ${hostOf(hub.url)}`);
      expect(worker.output()).not.toContain("secret-pw");
    },
  );

  test("reaches a NO_PROXY host directly", { timeout: 60_000 }, async () => {
    const { site, token } = await makeSiteWithToken(testDb.db(), "KCN", { skipFirstInventory: true });
    startWorker(token, "KCN", hub.url, {
      HTTPS_PROXY: proxyUrl,
      HTTP_PROXY: proxyUrl,
      NO_PROXY: "localhost,127.0.0.1",
    });
    await waitForHeartbeat(site.id);
    expect(seen).toEqual([]);
  });
});

/** From PATH, as on a developer's machine or CI; the TLS part is skipped without it. */
const OPENSSL = process.env.OPENSSL ?? "openssl";
const hasOpenssl = (() => {
  try {
    execFileSync(OPENSSL, ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** A throwaway CA and a certificate for 127.0.0.1 signed by it, as a Trust's private PKI would issue. */
function makeTestCa() {
  const dir = mkdtempSync(path.join(tmpdir(), "flip-ca-"));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: "ignore" });
  openssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1"],
    ...["-subj", "/CN=FLIP test CA", "-addext", "basicConstraints=critical,CA:TRUE"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  );
  openssl(
    ...["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "host.key", "-out", "host.csr", "-subj", "/CN=127.0.0.1"],
  );
  writeFileSync(file("ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  openssl(
    ...["x509", "-req", "-in", "host.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"],
    ...["-out", "host.pem", "-days", "1", "-extfile", "ext"],
  );
  return { caFile: file("ca.pem"), key: readFileSync(file("host.key")), cert: readFileSync(file("host.pem")) };
}

describe.skipIf(!hasOpenssl)("a hub whose certificate a private CA signed", () => {
  let front: https.Server;
  let frontUrl: string;
  let caFile: string;

  beforeAll(async () => {
    const ca = makeTestCa();
    caFile = ca.caFile;
    // A TLS front for the test hub, as a reverse proxy terminates TLS in front of the real one.
    const target = new URL(hub.url);
    front = https.createServer({ key: ca.key, cert: ca.cert }, (req, res) => {
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    frontUrl = `https://127.0.0.1:${await listen(front)}`;
  });
  afterAll(async () => {
    front?.closeAllConnections();
    await new Promise((resolve) => front?.close(resolve));
  });

  test(
    "heartbeats over HTTPS through the proxy with NODE_EXTRA_CA_CERTS, and check names the fix without it",
    { timeout: 60_000 },
    async () => {
      const { site, token } = await makeSiteWithToken(testDb.db(), "KCT", { skipFirstInventory: true });
      startWorker(token, "KCT", frontUrl, { HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: caFile });
      await waitForHeartbeat(site.id);
      expect(seen).toContain(`CONNECT ${hostOf(frontUrl)}`);

      const check = startWorker(token, "KCT", frontUrl, { HTTPS_PROXY: proxyUrl }, ["check"]);
      expect((await check.exited).code).toBe(1);
      const lines = check.output().split("\n");
      const line = lines.findIndex((l) => l.startsWith("✗ Hub reachable"));
      expect(lines[line]).toMatch(/^✗ Hub reachable: https:\/\/127\.0\.0\.1:\d+: .*(CERT|UNABLE_TO_VERIFY)/);
      expect(lines[line + 1]).toContain("set NODE_EXTRA_CA_CERTS=");
    },
  );
});
