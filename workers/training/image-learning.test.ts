import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { buildTemplate } from "@/protocol/models/templates";
import { buildModel } from "@/protocol/models/weights";
import { buildOnBestBackend } from "./backend";
import { buildDataset } from "./dataset";
import type { Dataset } from "./examples";
import { evaluateSplit } from "./predict";
import { createTestSite, quietLog, STROKE, testContext, type TestSite } from "../test-support/training-site";
import { trainLocally } from "./train";

/**
 * The demo's image model learns the generated stroke CT slices through the real pipeline (OMOP
 * cohort, PNG files, windowing, the custom loop): a regression guard for the CNN that used to sit
 * at the class prior (validation AUC ~0.55) whatever the architecture or learning rate.
 */
const adminUrl = inject("pgAdminUrl");
let site: TestSite;
let dataset: Dataset;

beforeAll(async () => {
  site = await createTestSite(adminUrl, 5000, "KCH");
  dataset = await buildDataset(
    { ...STROKE, split: { seed: "image-learning", validationFraction: 0.2 } },
    testContext(site),
    [0, 1],
  );
}, 300_000);
afterAll(async () => {
  await site?.drop();
});

describe("the small_cnn template on generated stroke CT", () => {
  test("inputs are windowed to [-1, 1] with tissue near 0", () => {
    expect(dataset.exampleShape).toEqual([64, 64, 1]);
    expect(dataset.train.count).toBeGreaterThan(250);
    expect(dataset.train.x.every((v) => v >= -1 && v <= 1)).toBe(true);
    const centre = dataset.train.x[32 * 64 + 32]!; // first image's centre pixel: brain tissue
    expect(Math.abs(centre)).toBeLessThan(0.5);
  });

  test(
    "eight local epochs at the demo's batch size take the validation AUC from chance to above 0.72",
    { timeout: 300_000 },
    async () => {
      // Seeded initial weights (the shuffle is seeded too), so the run is the same every time: with
      // unseeded weights the best AUC varied from run to run and once fell to 0.67 in CI. Seeded, it
      // reaches 0.59, 0.69, 0.79 and 0.88 after each two epochs.
      const template = buildTemplate("small_cnn", { task: "binary_classification", input: STROKE.model.input });
      const architecture = {
        ...template,
        config: {
          ...template.config,
          layers: template.config.layers.map((layer, i) =>
            layer.class_name === "Conv2D" || layer.class_name === "Dense"
              ? {
                  ...layer,
                  config: { ...layer.config, kernel_initializer: { class_name: "GlorotUniform", config: { seed: i } } },
                }
              : layer,
          ),
        },
      };
      const { model } = await buildOnBestBackend(() => buildModel(architecture), dataset.exampleShape, quietLog);
      try {
        const before = await evaluateSplit(model, dataset.validation, dataset.exampleShape);
        const aucs: number[] = [];
        for (let round = 1; round <= 4; round++) {
          await trainLocally(model, dataset.train, dataset.exampleShape, {
            localEpochs: 2,
            batchSize: 32,
            learningRate: 0.003,
            optimizer: "adam",
            seed: `stroke:${round}`,
            flipImages: true,
            signal: new AbortController().signal,
            onBatch: async () => undefined,
          });
          aucs.push((await evaluateSplit(model, dataset.validation, dataset.exampleShape)).metrics.auc!);
        }
        expect(before.metrics.auc).toBeLessThan(0.7);
        expect(Math.max(...aucs)).toBeGreaterThan(0.72);
      } finally {
        model.dispose();
      }
    },
  );
});
