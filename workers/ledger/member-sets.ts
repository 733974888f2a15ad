import { createHash } from "node:crypto";
import type { CellGroup } from "../disclosure/cohort-cells";

/**
 * Who a released cohort count covered, as the site keeps it in its ledger (never sent anywhere):
 * every person of the entry step, sorted by person id, with how many inclusion rules they passed,
 * their age band and their sex. Every cell of the result is a subset of these persons, so one
 * record per release answers "who did that cell count?" for the differencing check.
 */
export type CohortMembers = {
  personIds: Float64Array;
  /** Inclusion rules passed: the person is in attrition step k for every k up to this. */
  steps: Uint8Array;
  ageBand: Uint8Array;
  sex: Uint8Array;
  /** Number of inclusion rules: persons with steps === rules are the final cohort. */
  rules: number;
};

export type CellKey = `${CellGroup}:${number}`;

/** The sorted person ids one cell of the result counts. */
export function cellMembers(members: CohortMembers, key: CellKey): Float64Array {
  const [group, indexText] = key.split(":") as [CellGroup, string];
  const index = Number(indexText);
  const { personIds, steps, ageBand, sex, rules } = members;
  const isIn =
    group === "attrition"
      ? (i: number) => steps[i]! >= index
      : group === "ageBands"
        ? (i: number) => steps[i] === rules && ageBand[i] === index
        : (i: number) => steps[i] === rules && sex[i] === index;
  const out: number[] = [];
  for (let i = 0; i < personIds.length; i++) if (isIn(i)) out.push(personIds[i]!);
  return Float64Array.from(out);
}

/**
 * The size of A △ B for two sorted id lists, stopping as soon as it reaches `stopAt`: the check
 * only needs to know whether two cells differ by fewer persons than the threshold.
 */
export function symmetricDifference(a: Float64Array, b: Float64Array, stopAt: number): number {
  let i = 0;
  let j = 0;
  let diff = 0;
  while (i < a.length && j < b.length && diff < stopAt) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (a[i]! < b[j]!) {
      i++;
      diff++;
    } else {
      j++;
      diff++;
    }
  }
  return Math.min(stopAt, diff + (a.length - i) + (b.length - j));
}

/** Buckets of the sketch: per-bucket counts, whose L1 distance is a lower bound on |A △ B|. */
const SKETCH_BUCKETS = 64;

export function sketchOf(ids: Float64Array): Uint32Array {
  const sketch = new Uint32Array(SKETCH_BUCKETS);
  for (const id of ids) sketch[bucketOf(id)]!++;
  return sketch;
}

function bucketOf(id: number): number {
  const low = id >>> 0;
  const high = Math.floor(id / 0x1_0000_0000) >>> 0;
  return Math.imul(low ^ Math.imul(high, 0x85eb_ca6b), 0x9e37_79b1) >>> 26;
}

/** A lower bound on |A △ B| from two sketches: two cells whose bound reaches the threshold need no exact comparison. */
export function sketchDistance(a: Uint32Array, b: Uint32Array): number {
  let distance = 0;
  for (let k = 0; k < SKETCH_BUCKETS; k++) distance += Math.abs(a[k]! - b[k]!);
  return distance;
}

/** Identifies a member set exactly: equal digests mean the same persons, so a repeat of a result needs no comparison. */
export function digestOf(ids: Float64Array): Buffer {
  return createHash("sha256")
    .update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength))
    .digest();
}

/** Compact form for the ledger: person ids as varint deltas, then the per-person bytes. */
export function encodeMembers(members: CohortMembers): Buffer {
  const n = members.personIds.length;
  const bytes: number[] = [];
  const pushVarint = (value: number) => {
    while (value >= 0x80) {
      bytes.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    bytes.push(value);
  };
  pushVarint(members.rules);
  pushVarint(n);
  let previous = 0;
  for (const id of members.personIds) {
    pushVarint(id - previous);
    previous = id;
  }
  return Buffer.concat([Buffer.from(bytes), members.steps, members.ageBand, members.sex]);
}

export function decodeMembers(buffer: Uint8Array): CohortMembers {
  let offset = 0;
  const readVarint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = buffer[offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  const rules = readVarint();
  const n = readVarint();
  const personIds = new Float64Array(n);
  let previous = 0;
  for (let i = 0; i < n; i++) personIds[i] = previous += readVarint();
  const take = () => new Uint8Array(buffer.subarray(offset, (offset += n)));
  return { rules, personIds, steps: take(), ageBand: take(), sex: take() };
}
