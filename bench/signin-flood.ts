/**
 * bench:signin-flood — does a flood of unauthenticated sign-in attempts slow signed-in people?
 *
 * Same run, same database and pool: a signed-in researcher's `projects.list` (session reloaded
 * from the database as every request does, then the procedure) measured alone, then while
 * FLOOD concurrent attackers send wrong passwords for unknown and real emails from rotating
 * addresses through the real sign-in service (limiter, argon2id, audit). Prints p50/p95 of both
 * and their ratio; the target is a flood p50 under 50 ms.
 */
import type { Database } from "@/db/client";
import { loadViewer } from "@/server/auth/viewer";
import { signInWithPassword } from "@/server/auth/sign-in.service";
import { callerAs, makeUser } from "@/server/lib/test-support/fixtures";
import { createProject } from "@/server/projects/projects.service";
import { withBenchHub } from "./lib/bench-database";

const FLOOD = Number(process.env.BENCH_FLOOD ?? 40);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 60);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function signedInLatencies(db: Database, userId: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    const viewer = await loadViewer(db, userId, Date.now());
    await callerAs(db, viewer).projects.list({});
    out.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return out.sort((a, b) => a - b);
}

async function main() {
  process.env.FLIP_LOG_LEVEL ??= "warn";
  await withBenchHub(async (db) => {
    const researcher = await makeUser(db, [{ role: "researcher" }]);
    const victim = await makeUser(db, []);
    for (let i = 0; i < 5; i++)
      await createProject(db, researcher, { title: `Bench project ${i}`, purpose: "Enough words for a purpose here." });
    await signedInLatencies(db, researcher.id); // warm-up: pool, JIT, argon2 dummy hash
    const quiet = await signedInLatencies(db, researcher.id);

    let running = true;
    let attempts = 0;
    const attackers = Array.from({ length: FLOOD }, async (_, a) => {
      while (running) {
        const n = attempts++;
        const email = n % 2 ? victim.email : `nobody${n}@bench.flip`;
        await signInWithPassword(db, { email, password: `guess-${n}` }, `198.51.${a}.${n % 250}`).catch(() => {});
      }
    });
    const flooded = await signedInLatencies(db, researcher.id);
    running = false;
    await Promise.all(attackers);

    const row = (label: string, xs: number[]) =>
      console.log(
        `${label.padEnd(34)}${percentile(xs, 50).toFixed(1).padStart(8)} ms${percentile(xs, 95).toFixed(1).padStart(10)} ms`,
      );
    console.log(`bench:signin-flood — ${FLOOD} concurrent sign-in attackers, ${SAMPLES} signed-in requests each way`);
    console.log("");
    console.log(`${"signed-in projects.list".padEnd(34)}${"p50".padStart(11)}${"p95".padStart(13)}`);
    row("alone (baseline)", quiet);
    row(`during the flood (${attempts} attempts)`, flooded);
    console.log("");
    const ratio = percentile(flooded, 50) / percentile(quiet, 50);
    console.log(
      `p50 ratio flood / alone: ${ratio.toFixed(1)}x; flood p50 ${percentile(flooded, 50) < 50 ? "under" : "OVER"} 50 ms`,
    );
  });
}

await main();
