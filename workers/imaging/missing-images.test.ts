import { randomUUID } from "node:crypto";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { buildTemplate } from "@/protocol/models/templates";
import { createLogger } from "../log";
import { ZSitePolicy } from "../policy";
import { failureText } from "../release/failures";
import { executeTask, type ExecuteDeps } from "../tasks/base";
import { trainTask } from "../tasks/train";
import { createTestGate } from "../test-support/gate-fixture";
import { createTestSite, STROKE, type TestSite } from "../test-support/training-site";
import { checkReferencedImages, describeImageCheck } from "./check-images";
import { ImageHealth } from "./imaging-context";

/**
 * A site whose image folder lacks the files its image_occurrence rows name used to refuse CT training
 * as "trains only on at least 10 examples; this cohort has fewer": the refusal blamed the cohort.
 * It must say the images are unavailable, and tell the site's staff how many and where.
 */
const adminUrl = inject("pgAdminUrl");
let site: TestSite;
let moved: string;

beforeAll(async () => {
  site = await createTestSite(adminUrl, 1000, "KCH");
  // The Trust restored its OMOP database but not the image export: every referenced file is gone.
  moved = `${site.dataDir}-moved`;
  renameSync(site.dataDir, moved);
  mkdirSync(site.dataDir);
}, 300_000);
afterAll(async () => {
  rmSync(moved, { recursive: true, force: true });
  await site?.drop();
});

describe("a site missing its image files", () => {
  test("refuses CT training as images unavailable, logs how many and where, and degrades its self-check", async () => {
    const lines: string[] = [];
    const log = createLogger({}, { write: (line) => lines.push(line) });
    const policy = ZSitePolicy.parse({ site: "KCH", allowedTaskKinds: ["train"] });
    const health = new ImageHealth();
    const deps: ExecuteDeps = {
      signal: new AbortController().signal,
      log,
      policy,
      gate: createTestGate(policy).gate,
      siteDb: site.siteDb,
      dataDir: site.dataDir,
      imaging: { concurrency: 2, health },
      progress: async () => undefined,
      downloadWeights: async () => {
        throw new Error("the task must stop before it needs weights");
      },
    };
    const architecture = buildTemplate("small_cnn", { task: "binary_classification", input: STROKE.model.input });
    const payload = {
      projectId: randomUUID(),
      requesterId: randomUUID(),
      jobId: randomUUID(),
      round: 1,
      totalRounds: 1,
      model: {
        modelId: randomUUID(),
        versionId: randomUUID(),
        task: "binary_classification",
        ...STROKE.model,
        architecture,
        weightsSha256: "0".repeat(64),
      },
      cohort: STROKE.cohort,
      split: { seed: "missing", validationFraction: 0.2 },
      localEpochs: 1,
      batchSize: 32,
      learningRate: 0.001,
      optimizer: "adam",
      normBound: 1,
    };
    const task = {
      taskId: randomUUID(),
      leaseId: randomUUID(),
      kind: "train" as const,
      payload,
      attempt: 1,
      maxAttempts: 3,
      leaseExpiresAt: new Date(),
    };
    const outcome = await executeTask(task, trainTask, deps);
    expect(outcome).toEqual({
      type: "fail",
      code: "handler_error",
      isRetryable: false,
      message: failureText({ reason: "images_unavailable" }),
    });
    expect(outcome).not.toMatchObject({ message: expect.stringContaining("examples") });

    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === "warn");
    expect(warning).toMatchObject({
      msg: "Referenced images were missing or unreadable; they were left out",
      missing: expect.any(Number),
      where: `the image folder ${site.dataDir}`,
    });
    expect(warning!.total).toBe(warning!.missing);
    expect(warning!.total as number).toBeGreaterThan(10);
    // The log names the folder the files were looked for in, never a file of a patient.
    expect(lines.join("\n")).not.toMatch(/images\/CT|\.png|\.dcm/);
    expect(health.selfCheck()).toMatchObject({ name: "images", ok: false });
  }, 120_000);

  test("`flip-worker check` says how many are missing, where it looked, and which, with the fix", async () => {
    const result = await checkReferencedImages(site.databaseUrl, "public", site.dataDir, 5_000);
    const line = describeImageCheck(result, site.dataDir);
    expect(line.ok).toBe(false);
    expect(line.detail).toMatch(
      new RegExp(
        `^(\\d+) of \\1 images that image_occurrence names are missing or unreadable under ${site.dataDir} \\(\\1 missing; no such file or folder\\); for example: images/`,
      ),
    );
    expect(line.fix).toContain("FLIP_SITE_DATA_DIR");
    // Put the export back: the same check passes.
    rmSync(site.dataDir, { recursive: true });
    renameSync(moved, site.dataDir);
    const restored = describeImageCheck(
      await checkReferencedImages(site.databaseUrl, "public", site.dataDir, 5_000),
      site.dataDir,
    );
    expect(restored).toMatchObject({ ok: true, detail: expect.stringMatching(/^all \d+ local paths found under /) });
  });
});
