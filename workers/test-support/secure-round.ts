import { randomUUID } from "node:crypto";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { ZTrainPayload, type TrainPayload, type TrainResult } from "@/protocol/training";
import { quantise } from "@/protocol/secagg/quantise";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { createHubClient } from "../hub-client";
import { createLogger } from "../log";
import { ZSitePolicy } from "../policy";
import type { Released } from "../release/gate";
import { createSiteDb } from "../site-db";
import { executeTask } from "../tasks/base";
import { trainTask } from "../tasks/train";
import { joinSecureRound, unmaskAnswer, waitForPhase, type SecureSession } from "../training/secagg-session";
import { maskedUpload } from "../training/secagg-update";
import { createTestGate } from "./gate-fixture";

/**
 * What the secure-aggregation tests (workers/secure-aggregation.test.ts) need besides real worker
 * processes: a proxy that records every byte the hub receives, a watcher that records every row
 * the hub stores, a stand-in site driven step by step through the real protocol code (so a test
 * can drop it before or after its upload), and each real site's update recomputed in this process.
 */
const quiet = createLogger({}, { write: () => undefined });

/** A loopback proxy in front of the hub that keeps every request body it forwards. */
export async function startRecordingProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const received: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      received.push(body, Buffer.from(req.url ?? ""), Buffer.from(JSON.stringify(req.headers)));
      const upstream = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      upstream.on("error", () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every row of every table of the hub's database as JSON text (bytea as \x hex), for `snapshot` to collect. */
export function watchHubStorage(db: Database) {
  const rows = new Set<string>();
  const snapshot = async () => {
    const tables = await db.execute<{ name: string }>(
      sql`SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'`,
    );
    for (const { name } of tables.rows) {
      const dump = await db.execute<{ row: string }>(sql.raw(`SELECT row_to_json(t)::text AS row FROM ${name} t`));
      for (const { row } of dump.rows) rows.add(row);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  return {
    snapshot,
    start: () => {
      timer = setInterval(() => (running = running.then(snapshot).catch(() => undefined)), 200);
    },
    stop: async () => {
      clearInterval(timer);
      await running;
      await snapshot();
    },
    /** Every stored byte string: the rows' text, each \x hex value decoded, each base64 value decoded. */
    blobs: (): Buffer[] => {
      const out: Buffer[] = [];
      for (const row of rows) {
        out.push(Buffer.from(row));
        for (const [, hex] of row.matchAll(/\\\\x([0-9a-f]+)/g)) out.push(Buffer.from(hex!, "hex"));
        for (const [, b64] of row.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)) out.push(Buffer.from(b64!, "base64"));
      }
      return out;
    },
  };
}

/** A site whose worker the test plays itself, with the real hub client and secure-aggregation code. */
export function standInSite(hubUrl: string, token: string) {
  const hub = createHubClient({ trpcUrl: `${hubUrl}/api/trpc`, token, log: quiet });
  const signal = new AbortController().signal;
  let lease: { taskId: string; leaseId: string } | null = null;
  let payload: TrainPayload | null = null;
  let session: SecureSession | null = null;
  const leased = () => {
    if (!lease || !payload || !session) throw new Error("the stand-in site has not joined a round");
    return { lease, payload, session };
  };
  return {
    /** Claims the site's train task and takes part in the key exchange. */
    async join() {
      for (let tries = 0; tries < 60 && !lease; tries++) {
        const task = await hub.claim(1_000);
        if (task?.kind !== "train") continue;
        lease = { taskId: task.taskId, leaseId: task.leaseId };
        payload = ZTrainPayload.parse(task.payload);
      }
      const secureAggregation = payload?.secureAggregation;
      if (!lease || !secureAggregation) throw new Error("no secure train task for the stand-in site");
      session = await joinSecureRound(
        secureAggregation,
        {
          advertise: (keys) => hub.secAgg.advertise({ ...lease!, ...keys }),
          share: (boxes) => hub.secAgg.share({ ...lease!, boxes }),
          state: (wait) => hub.secAgg.state({ ...lease!, ...wait }),
        },
        signal,
      );
    },
    /** Drops out after the key exchange: the site's task fails, it uploads nothing. */
    async dropBeforeUpload() {
      const { lease: l } = leased();
      await hub.fail({
        ...l,
        code: "handler_error",
        message: "stand-in dropped" as Released<string>,
        retryable: false,
      });
    },
    /** Uploads `update` masked, weighted by `exampleCount` as a worker's release gate would. */
    async upload(update: NamedTensor[], result: TrainResult) {
      const { lease: l, session: s } = leased();
      const weight = result.exampleCount / s.weightDivisor;
      const masked = maskedUpload({ update, weight, params: s.params, client: s.client, sharedKeys: s.sharedKeys });
      await hub.uploadMaskedUpdate({ ...l, result: result as Released<TrainResult>, masked });
      return { encoded: encodedOf(update, weight, s), masked };
    },
    /** Answers the unmasking request (a site that dropped after uploading never calls this). */
    async answerUnmasking() {
      const { lease: l, session: s } = leased();
      const state = await waitForPhase((wait) => hub.secAgg.state({ ...l, ...wait }), "unmasking", signal);
      if (!state?.request) throw new Error("the round closed before asking to unmask");
      await hub.secAgg.unmask({ ...l, ...unmaskAnswer(s.client, state.request) } as Released<
        typeof l & ReturnType<typeof unmaskAnswer>
      >);
    },
    state: () => hub.secAgg.state(leased().lease),
    payload: () => leased().payload,
    params: () => leased().session.params,
  };
}

function encodedOf(update: NamedTensor[], weight: number, session: SecureSession): Uint32Array {
  return quantise(
    update.flatMap((t) => [...t.data]),
    weight,
    session.params,
  );
}

/**
 * The update a real site's worker computed for `payload`, recomputed here: the same handler, data,
 * global weights and seed, through a release gate with the site's policy, but without secure
 * aggregation (so the plain update comes out). Only for jobs without DP noise, which is random.
 */
export async function recomputeUpdate(input: {
  payload: TrainPayload;
  databaseUrl: string;
  dataDir: string;
  policy: Record<string, unknown>;
  global: { tensors: NamedTensor[]; sha256: string };
}): Promise<{ update: NamedTensor[]; exampleCount: number }> {
  const policy = ZSitePolicy.parse(input.policy);
  const siteDb = createSiteDb({ url: input.databaseUrl, schema: "public", maxConnections: 2, log: quiet });
  try {
    const outcome = await executeTask(
      {
        taskId: randomUUID(),
        leaseId: randomUUID(),
        kind: "train",
        payload: { ...input.payload, secureAggregation: undefined },
        attempt: 1,
        maxAttempts: 1,
        leaseExpiresAt: new Date(),
      },
      trainTask,
      {
        signal: new AbortController().signal,
        log: quiet,
        policy,
        gate: createTestGate(policy).gate,
        siteDb,
        dataDir: input.dataDir,
        progress: async () => undefined,
        downloadWeights: async () => input.global,
      },
    );
    if (outcome.type !== "upload") throw new Error(`recomputing a site's update gave ${JSON.stringify(outcome)}`);
    return { update: outcome.update, exampleCount: outcome.result.exampleCount };
  } finally {
    await siteDb.close();
  }
}

/** Where `needle` occurs in any of `haystacks` in any window of `window` bytes (a plain update's bytes, stored or sent). */
export function findWindow(haystacks: readonly Buffer[], needle: ArrayBufferView, window = 32): number {
  let found = 0;
  const bytes = Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength);
  for (let at = 0; at + window <= bytes.length; at += window)
    for (const h of haystacks) if (h.indexOf(bytes.subarray(at, at + window)) !== -1) found++;
  return found;
}
