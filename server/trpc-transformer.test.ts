import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { serializeOutput } from "./trpc-transformer";

type Encoded = { json?: unknown; meta?: unknown; threw?: string };
const attempt = (encode: (value: unknown) => unknown, value: unknown): Encoded => {
  try {
    return encode(value) as Encoded;
  } catch (error) {
    return { threw: (error as Error).message };
  }
};
/**
 * The two agree: the same JSON, key order included, and the same annotations. superjson lists
 * the annotations of an array's direct items first (JavaScript orders integer-like keys first),
 * which changes nothing when they are applied (each names its own place), so their order is not compared.
 */
const agrees = (value: unknown) => {
  const ours = attempt(serializeOutput, value);
  const theirs = attempt(superjson.serialize, value);
  expect(JSON.stringify(ours.json)).toBe(JSON.stringify(theirs.json));
  expect(ours).toEqual(theirs);
};

// Keys that need escaping in superjson's paths, and plain ones.
const key = fc.oneof(fc.constantFrom("a", "b.c", "d\\e", "f\\.g", "0", "h.", ""), fc.string({ maxLength: 4 }));
const date = fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true });
const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    date,
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
}));
// What superjson's walker alone handles: the encoder must hand these over, anywhere in the value.
const unusual = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 10n, new Date(Number.NaN), Symbol("s")),
  fc.constant(new Map([["k", new Date(0)]])),
  fc.constant(new Set([1, undefined])),
  fc.constant(/ab+c/gi),
  fc.constant(new Error("boom")),
  fc.constant(new URL("https://flip.example/x")),
  fc.constant(new Float32Array([1, 2])),
  fc.constant(
    new (class Point {
      x = 1;
    })(),
  ),
  fc.constant({ constructor: 1 }),
  fc.constant(JSON.parse('{"__proto__": {"x": 1}}') as unknown),
  // eslint-disable-next-line no-sparse-arrays -- a hole, on purpose
  fc.constant([1, , 3]),
  fc.constant(Object.assign([1, 2], { extra: new Date(0) })),
);

describe("serializeOutput", () => {
  it("writes what superjson writes for the values procedures return", () => {
    fc.assert(
      fc.property(plain.value, (value) => agrees(value)),
      { numRuns: 2000 },
    );
  });

  it("annotates dates and undefined at their escaped paths, at the root too", () => {
    const value = { "a.b": [{ "c\\d": new Date(0), e: undefined }], f: "x" };
    expect(serializeOutput(value)).toEqual({
      json: { "a.b": [{ "c\\d": "1970-01-01T00:00:00.000Z", e: null }], f: "x" },
      meta: { values: { "a\\.b.0.c\\\\d": ["Date"], "a\\.b.0.e": ["undefined"] }, v: 1 },
    });
    agrees(value);
    agrees(new Date(5));
    agrees(undefined);
    agrees([]);
    agrees({});
    expect(superjson.deserialize(serializeOutput(value))).toEqual(value);
  });

  it("hands anything else to superjson, wherever it sits", () => {
    fc.assert(
      fc.property(plain.object, key, unusual, (object, at, odd) => {
        agrees(odd);
        agrees({ ...object, [at]: odd });
        agrees([object, { nested: [odd] }]);
      }),
      { numRuns: 300 },
    );
  });

  it("hands over an object reached twice, so superjson records that it is one object", () => {
    const shared = { at: new Date(0) };
    agrees({ a: shared, b: shared });
    agrees([shared, [shared]]);
    expect(serializeOutput({ a: shared, b: shared }).meta?.referentialEqualities).toEqual({ a: ["b"] });
  });

  it("survives a cycle as superjson does", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    agrees(cyclic);
  });
});
