/**
 * bench:vocabulary — load time and concept-search latency on a vocabulary the size of a full Athena
 * download (5 M concepts by default; `-- --concepts 500000` for a quick run).
 *
 * Generates a synthetic vocabulary in Athena's layout (bench/lib/synthetic-vocabulary.ts), loads it with
 * the same loader as `npm run vocab:load`, then times the hub's search service on a mix of queries
 * (common and rare words, two-letter and word prefixes, words out of order, a half-typed last word,
 * typos in common and rare words, a word in no name, codes, ids, code prefixes, filters) against a
 * primary-key lookup of one concept over the same pool, in the same run, and prints the query kinds
 * slowest first and the slowest searches. `-- --keep NAME` keeps the database, and a later run with
 * the same NAME and size searches it without generating and loading again.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { searchConcepts } from "@/server/vocabulary/concept-search";
import { loadVocabulary } from "@/server/vocabulary/load/load-vocabulary";
import { createProgressBar } from "@/server/vocabulary/load/progress-bar";
import { ZConceptSearchInput, type TConceptSearchInput } from "@/server/vocabulary/vocabulary.schema";
import { withBenchDatabase } from "./lib/bench-database";
import {
  describeSyntheticVocabulary,
  writeSyntheticVocabulary,
  type SyntheticVocabulary,
} from "./lib/synthetic-vocabulary";

const GOAL_P95_MS = 50;
const ROUNDS = 40;

const flag = process.argv.indexOf("--concepts");
const CONCEPTS = flag > 0 ? Number(process.argv[flag + 1]) : 5_000_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1)! };
}

const fmt = (n: number) => n.toFixed(1).padStart(7);

/** `word` with one letter in its middle replaced, as a slip of the finger would. */
function misspell(word: string): string {
  const middle = Math.floor(word.length / 2);
  return word.slice(0, middle) + (word[middle] === "a" ? "e" : "a") + word.slice(middle + 1);
}

/**
 * One query of each kind per round, drawn afresh each round: what a person types into the picker
 * (which searches from two characters on), from a common word to a word that is in no name.
 */
function queryMix(v: SyntheticVocabulary, round: number): [string, Partial<TConceptSearchInput>][] {
  const r = (k: number) => ((round + 1) * 2654435761 + k * 40503) >>> 0;
  const id = (k: number) => 1 + (r(k) % v.concepts);
  const long = (from: number, to: number) => v.lexicon.slice(from, to).filter((w) => w.length >= 7);
  const commonLong = long(0, 600);
  const rareLong = long(600, 3000);
  const twoWords = v.name(id(3)).split(" ").slice(0, 2).reverse().join(" ");
  const [first, second] = v.name(id(9)).split(" ") as [string, string];
  const [longer, shorter] = first.length >= second.length ? [first, second] : [second, first];
  const unknown = Array.from({ length: 9 }, (_, i) => "qzxjkvwfb"[(r(11) >>> i) % 9]).join("");
  return [
    ["common word", { query: v.lexicon[r(1) % 10]! }],
    ["rare word", { query: v.lexicon[1500 + (r(2) % 1500)]! }],
    ["two words, any order", { query: twoWords }],
    ["typing: word + 3 letters", { query: `${first} ${second.slice(0, 3)}` }],
    ["2-letter prefix", { query: v.lexicon[r(4) % 300]!.slice(0, 2) }],
    ["word prefix", { query: v.lexicon[50 + (r(4) % 450)]!.slice(0, 4) }],
    ["typo, common word", { query: misspell(commonLong[r(7) % commonLong.length]!) }],
    ["typo, rare word", { query: misspell(rareLong[r(7) % rareLong.length]!) }],
    ["typo in two words", { query: `${shorter} ${misspell(longer)}` }],
    ["word in no name", { query: unknown }],
    ["code", { query: v.code(id(5)) }],
    ["concept id", { query: String(id(10)) }],
    ["code prefix", { query: v.code(id(6)).slice(0, 3) }],
    ["common word, Condition", { query: v.lexicon[r(8) % 10]!, domain: "Condition" }],
    ["words, standard only", { query: twoWords, standard: ["standard"] }],
    ["word, LOINC, any validity", { query: v.lexicon[r(12) % 300]!, vocabularies: ["LOINC"], validity: "any" }],
  ];
}

const keepFlag = process.argv.indexOf("--keep");
const KEEP = keepFlag > 0 ? process.argv[keepFlag + 1] : undefined;
const loadAverage = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(" / ");

/** Generates the synthetic vocabulary and loads it through the real loader, printing what that took. */
async function generateAndLoad(db: Database, url: string): Promise<SyntheticVocabulary> {
  const folder = await mkdtemp(join(tmpdir(), "flip-bench-vocab-"));
  try {
    console.log(`Generating ${CONCEPTS.toLocaleString("en-GB")} concepts in Athena's layout…`);
    let start = performance.now();
    const vocabulary = await writeSyntheticVocabulary(folder, CONCEPTS);
    const generateS = (performance.now() - start) / 1000;
    console.log(`  written in ${generateS.toFixed(0)} s`);

    start = performance.now();
    const loaded = await loadVocabulary(url, { folder, onProgress: createProgressBar() });
    const loadS = (performance.now() - start) / 1000;
    const bytes = (await Promise.all(Object.keys(loaded.rows).map((f) => stat(join(folder, f))))).reduce(
      (sum, s) => sum + s.size,
      0,
    );
    const { rows: search } = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM vocab.concept_search`);
    console.log(
      `\nLoad: ${loadS.toFixed(0)} s for ${(bytes / 1e9).toFixed(2)} GB (${Object.entries(loaded.rows)
        .filter(([, n]) => n > 100)
        .map(([f, n]) => `${f} ${n.toLocaleString("en-GB")}`)
        .join(
          ", ",
        )}; ${search[0]!.n.toLocaleString("en-GB")} searchable names and synonyms); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average ${loadAverage()}`,
    );
    return vocabulary;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** With `--keep NAME`, a database that already holds this many concepts is searched as it is. */
async function loadedConcepts(db: Database): Promise<number> {
  const { rows } = await db.execute<{ n: number | null }>(
    sql`SELECT CASE WHEN to_regclass('vocab.concept') IS NOT NULL THEN (SELECT count(*)::int FROM vocab.concept) END AS n`,
  );
  return rows[0]?.n ?? 0;
}

await withBenchDatabase(
  async (db, url) => {
    const vocabulary =
      KEEP && (await loadedConcepts(db)) === CONCEPTS
        ? (console.log(`Reusing the vocabulary already loaded in ${KEEP}.`), describeSyntheticVocabulary(CONCEPTS))
        : await generateAndLoad(db, url);
    const byKind = new Map<string, number[]>();
    const slowest: { kind: string; query: string; ms: number }[] = [];
    const all: number[] = [];
    const baseline: number[] = [];
    for (let round = -3; round < ROUNDS; round++) {
      for (const [kind, input] of queryMix(vocabulary, round)) {
        const parsed = ZConceptSearchInput.parse(input);
        let t = performance.now();
        await searchConcepts(db, parsed);
        const ms = performance.now() - t;
        const id = 1 + (((round + 3) * 7919 + kind.length * 104729) % CONCEPTS);
        t = performance.now();
        await db.execute(sql`SELECT concept_name FROM vocab.concept WHERE concept_id = ${id}`);
        const baseMs = performance.now() - t;
        if (round < 0) continue; // warm-up
        byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
        slowest.push({ kind, query: JSON.stringify(input), ms });
        all.push(ms);
        baseline.push(baseMs);
      }
    }

    console.log(
      `\nSearch latency over ${all.length} queries, slowest kind first (ms)      p50     p95     p99     max`,
    );
    const kinds = [...byKind].map(([kind, ms]) => [kind, summary(ms)] as const).sort((x, y) => y[1].p95 - x[1].p95);
    for (const [kind, s] of kinds) {
      console.log(`  ${kind.padEnd(40)}${fmt(s.p50)} ${fmt(s.p95)} ${fmt(s.p99)} ${fmt(s.max)}`);
    }
    const s = summary(all);
    const b = summary(baseline);
    console.log(`  ${"all searches".padEnd(40)}${fmt(s.p50)} ${fmt(s.p95)} ${fmt(s.p99)} ${fmt(s.max)}`);
    console.log(
      `  ${"baseline: primary-key lookup".padEnd(40)}${fmt(b.p50)} ${fmt(b.p95)} ${fmt(b.p99)} ${fmt(b.max)}`,
    );
    console.log("\nSlowest searches:");
    for (const q of slowest.sort((x, y) => y.ms - x.ms).slice(0, 8))
      console.log(`  ${fmt(q.ms)} ms  ${q.kind.padEnd(28)} ${q.query}`);
    console.log(
      `\nSearch p95 ${s.p95.toFixed(1)} ms = ${(s.p95 / b.p95).toFixed(1)}x a primary-key lookup's p95; goal < ${GOAL_P95_MS} ms: ${s.p95 < GOAL_P95_MS ? "met" : "NOT met"}; load average ${loadAverage()}.`,
    );
  },
  { keep: KEEP },
);
