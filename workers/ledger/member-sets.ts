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

/**
 * A sketch of a member set: how many of its persons fall in each of 16 hash buckets. The L1 distance
 * of two sketches is a lower bound on |A △ B| (each person in one set and not the other moves one
 * bucket count by one), so the ledger rules out most earlier cells in SQL without reading them.
 */
export const SKETCH_BUCKETS = 16;

export function sketchOf(ids: Float64Array): number[] {
  const sketch = new Array<number>(SKETCH_BUCKETS).fill(0);
  for (const id of ids) sketch[bucketOf(id)]!++;
  return sketch;
}

function bucketOf(id: number): number {
  const low = id >>> 0;
  const high = Math.floor(id / 0x1_0000_0000) >>> 0;
  return Math.imul(low ^ Math.imul(high, 0x85eb_ca6b), 0x9e37_79b1) >>> 28;
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
  const writer = varintWriter(n * 3 + 32);
  writer.push(members.rules);
  writer.push(n);
  writer.pushDeltas(members.personIds);
  return Buffer.concat([writer.bytes(), members.steps, members.ageBand, members.sex]);
}

export function decodeMembers(buffer: Uint8Array): CohortMembers {
  const reader = varintReader(buffer);
  const rules = reader.next();
  const n = reader.next();
  const personIds = reader.deltas(n);
  let offset = reader.offset();
  const take = () => new Uint8Array(buffer.subarray(offset, (offset += n)));
  return { rules, personIds, steps: take(), ageBand: take(), sex: take() };
}

/** One cell's sorted person ids alone, for cells small enough to keep beside their sketch. */
export function encodeIds(ids: Float64Array): Buffer {
  const writer = varintWriter(ids.length * 3 + 8);
  writer.push(ids.length);
  writer.pushDeltas(ids);
  return writer.bytes();
}

export function decodeIds(buffer: Uint8Array): Float64Array {
  const reader = varintReader(buffer);
  return reader.deltas(reader.next());
}

function varintWriter(initial: number) {
  let buffer = Buffer.allocUnsafe(initial);
  let length = 0;
  const push = (value: number) => {
    if (length + 10 > buffer.length) {
      const grown = Buffer.allocUnsafe(buffer.length * 2 + 16);
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    while (value >= 0x80) {
      buffer[length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[length++] = value;
  };
  return {
    push,
    pushDeltas(ids: Float64Array) {
      let previous = 0;
      for (const id of ids) {
        push(id - previous);
        previous = id;
      }
    },
    bytes: () => buffer.subarray(0, length),
  };
}

function varintReader(buffer: Uint8Array) {
  let offset = 0;
  const next = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = buffer[offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  return {
    next,
    deltas(n: number) {
      const ids = new Float64Array(n);
      let previous = 0;
      for (let i = 0; i < n; i++) ids[i] = previous += next();
      return ids;
    },
    offset: () => offset,
  };
}
