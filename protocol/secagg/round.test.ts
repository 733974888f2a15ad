import { describe, expect, it } from "vitest";
import { createSecAggClient, type SecAggClient } from "./client";
import { SecAggError } from "./messages";
import { dequantiseMean, quantisationBound, quantise, secAggParams } from "./quantise";
import { createSecAggServer } from "./server";

/**
 * Whole rounds of secure aggregation between in-process sites and hub, with every message that
 * crosses the hub and everything the hub keeps recorded, so the test can look for any one site's
 * update in the clear.
 */
const LENGTH = 2000;

type Drop = { beforeUpload?: string[]; afterUpload?: string[] };

function runRound(sites: number, drop: Drop = {}) {
  const ids = Array.from({ length: sites }, (_, i) => `site-${String.fromCharCode(97 + i)}`);
  const params = secAggParams({ sites, normBound: 1, noiseStd: 0.01 });
  const roundId = crypto.randomUUID();
  const updates = ids.map((_, k) => Float32Array.from({ length: LENGTH }, (_, i) => Math.sin(i * (k + 1)) * 0.02));
  const weights = ids.map((_, k) => (k + 1) / (sites + 1));
  const encoded = updates.map((u, k) => quantise(u, weights[k]!, params));
  const transcript: Uint8Array[] = [];
  const record = <T>(value: T): T => {
    const walk = (v: unknown) => {
      if (v instanceof Uint8Array) transcript.push(v);
      else if (v instanceof Uint32Array) transcript.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(value);
    return value;
  };

  const server = createSecAggServer({ roundId, params, length: LENGTH });
  const clients = new Map<string, SecAggClient>(
    ids.map((id) => [id, createSecAggClient({ siteId: id, roundId, params })]),
  );
  for (const c of clients.values()) server.advertise(record(c.advertise()));
  const roster = record(server.roster());
  for (const [id, c] of clients) server.relayShares(id, record(c.shareKeys(roster)));
  for (const [id, c] of clients) c.receiveShares(record(server.sharesFor(id)));
  const shared = server.sharedKeys();
  for (const [k, id] of ids.entries()) {
    if (drop.beforeUpload?.includes(id)) continue;
    server.addMaskedInput(id, record(clients.get(id)!.maskInput(encoded[k]!, shared)));
  }
  const request = record(server.unmaskRequest());
  for (const id of request.survivors) {
    if (drop.afterUpload?.includes(id)) continue;
    server.addUnmaskResponse(record(clients.get(id)!.unmask(request)));
  }
  const { sum, survivors } = server.finish();
  record(sum);
  const included = ids.map((id, k) => ({ id, k })).filter(({ id }) => survivors.includes(id));
  const totalWeight = included.reduce((s, { k }) => s + weights[k]!, 0);
  const mean = dequantiseMean(sum, included.length, totalWeight, params);
  const exact = Float64Array.from(
    { length: LENGTH },
    (_, i) => included.reduce((s, { k }) => s + weights[k]! * updates[k]![i]!, 0) / totalWeight,
  );
  return {
    mean,
    exact,
    bound: quantisationBound(params, included.length, totalWeight),
    survivors,
    transcript,
    encoded,
    updates,
    params,
  };
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

describe("a secure-aggregation round", () => {
  it("gives the weighted FedAvg mean within the stated quantisation bound", () => {
    const round = runRound(4);
    expect(round.survivors).toHaveLength(4);
    expect(maxDifference(round.mean, round.exact)).toBeLessThanOrEqual(round.bound);
    expect(round.bound).toBeLessThan(1e-6);
  });

  it("recovers the sum when one site drops before uploading and another after uploading", () => {
    const round = runRound(6, { beforeUpload: ["site-b"], afterUpload: ["site-e"] });
    expect(round.params.threshold).toBe(4);
    expect(round.survivors).toEqual(["site-a", "site-c", "site-d", "site-e", "site-f"]);
    expect(maxDifference(round.mean, round.exact)).toBeLessThanOrEqual(round.bound);
  });

  it("fails cleanly, naming the threshold, when more than n − t sites drop out", () => {
    expect(() => runRound(6, { beforeUpload: ["site-a", "site-b", "site-c"] })).toThrow(
      "only 3 sites uploaded masked updates; secure aggregation needs 4 of 6 (more than 2 dropped out), so the round cannot be unmasked",
    );
    expect(() => runRound(6, { beforeUpload: ["site-a"], afterUpload: ["site-b", "site-c"] })).toThrow(
      /only 3 sites answered the unmasking request/,
    );
  });

  it("lets nothing the hub stores or relays show one site's update: no encoding, no float copy, no correlation", () => {
    const round = runRound(5, { beforeUpload: ["site-c"] });
    const bytes = (a: Uint32Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const [k, encoded] of round.encoded.entries()) {
      const plain = [bytes(encoded), bytes(round.updates[k]!)];
      for (const sent of round.transcript) {
        const haystack = Buffer.from(sent);
        // No 64-byte run of a site's encoded or float update appears anywhere.
        for (const p of plain)
          for (let at = 0; at + 64 <= p.length; at += 1024) expect(haystack.indexOf(p.subarray(at, at + 64))).toBe(-1);
      }
      // The masked uploads look uniform: each sent 32-bit vector of the model's length has no correlation with any site's encoding.
      for (const sent of round.transcript.filter((t) => t.byteLength === LENGTH * 4)) {
        const words = new Uint32Array(Uint8Array.from(sent).buffer);
        if (words.every((w, i) => w === encoded[i])) throw new Error("an encoding was sent in the clear");
        let same = 0;
        for (let i = 0; i < LENGTH; i++) if (Math.abs(words[i]! - encoded[i]!) < 2 ** 24) same++;
        expect(same / LENGTH).toBeLessThan(0.02);
      }
    }
  });

  it("a site refuses a hub that asks it to reveal both secrets of one site", () => {
    const params = secAggParams({ sites: 3, normBound: 1, noiseStd: 0 });
    const ids = ["a", "b", "c"];
    const clients = ids.map((id) => createSecAggClient({ siteId: id, roundId: "r", params }));
    const roster = clients.map((c) => c.advertise());
    const boxes = clients.flatMap((c) => c.shareKeys(roster));
    clients.forEach((c, k) => c.receiveShares(boxes.filter((b) => b.to === ids[k])));
    clients[0]!.maskInput(new Uint32Array(4), ids);
    expect(() => clients[0]!.unmask({ survivors: ["a", "b", "c"], dropped: ["b"] })).toThrow(SecAggError);
    expect(() => clients[0]!.unmask({ survivors: ["a", "b", "c"], dropped: [] })).not.toThrow();
    expect(() => clients[0]!.unmask({ survivors: ["a", "b"], dropped: ["c"] })).toThrow(/already answered/);
  });

  it("chooses a scale so that the sum of every site's largest encoding stays inside the ring", () => {
    for (const sites of [3, 10, 100]) {
      const params = secAggParams({ sites, normBound: 5, noiseStd: 2 });
      const largest = quantise([1e9], 1, params)[0]!;
      expect(sites * largest).toBeLessThan(2 ** 32);
      expect(quantise([-1e9], 1, params)[0]).toBe(0);
    }
    expect(() => secAggParams({ sites: 2, normBound: 1, noiseStd: 0 })).toThrow(/at least 3 sites/);
  });
});
