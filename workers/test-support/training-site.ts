import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dropDatabase } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { createLogger } from "../log";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import type { TabularFeature } from "@/protocol/model-spec";
import type { ModelPackage } from "@/protocol/training";
import { ZSitePolicy } from "../policy";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { generateSiteData } from "../site-data/generate";
import { createSiteDb, type SiteDb } from "../site-db";
import type { TaskContext } from "../tasks/base";
import { cohort, imaging, measurement, procedure } from "./cohort-definitions";

/** A generated synthetic site (OMOP database and PNG scans) for the training tests, and the demo's two learning tasks. */
export type TestSite = { siteDb: SiteDb; dataDir: string; databaseUrl: string; drop: () => Promise<void> };

export async function createTestSite(adminUrl: string, persons: number, site = "GSTT"): Promise<TestSite> {
  const database = `flip_train_${randomBytes(4).toString("hex")}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "flip-train-"));
  const databaseUrl = withDatabase(adminUrl, database);
  await generateSiteData({ site, persons, seed: 3, databaseUrl, dataDir });
  const siteDb = createSiteDb({ url: databaseUrl, schema: "public", maxConnections: 2, log: quietLog });
  return {
    siteDb,
    dataDir,
    databaseUrl,
    drop: async () => {
      await siteDb.close();
      await dropDatabase(adminUrl, database);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const quietLog = createLogger({}, { write: () => undefined });

export function testContext(
  site: TestSite,
  policy: Record<string, unknown> = {},
): Pick<TaskContext, "siteDb" | "signal" | "dataDir" | "log" | "progress" | "policy"> {
  return {
    siteDb: site.siteDb,
    dataDir: site.dataDir,
    signal: new AbortController().signal,
    log: quietLog,
    progress: async () => undefined,
    policy: ZSitePolicy.parse({ site: "GSTT", allowedTaskKinds: ["train", "evaluate"], ...policy }),
  };
}

const PROSTATE_FEATURES: TabularFeature[] = [
  {
    name: "psa_latest",
    from: {
      source: "measurement",
      conceptId: C.psa,
      unitConceptId: C.nanogramPerMillilitre,
      aggregation: "latest",
      windowDays: 730,
    },
    encoding: "standardise",
  },
  { name: "age", from: { source: "demographic", field: "age_at_index" }, encoding: "standardise" },
];

/** Prostate cancer risk: cohort entry = a PSA measurement; label = prostate cancer within three years. */
export const PROSTATE = {
  cohort: ZCohortDefinition.parse(cohort(measurement([C.psa]))),
  model: {
    input: { kind: "tabular" as const, features: PROSTATE_FEATURES },
    outcome: {
      name: "Prostate cancer",
      conceptIds: [C.malignantTumorOfProstate],
      includeDescendants: true,
      withinDays: 1095,
    },
  } satisfies Pick<ModelPackage, "input" | "outcome">,
};

/** Stroke on CT: cohort entry = a CT image or a CT procedure (an entry is one kind of event, so these are two definitions); label per scan. */
export const STROKE = {
  cohort: ZCohortDefinition.parse(cohort(imaging("CT"))),
  cohortByProcedure: ZCohortDefinition.parse(cohort(procedure([C.computedTomography]))),
  model: {
    input: { kind: "image" as const, height: 64, width: 64, channels: 1 as const, modality: "CT" as const },
    outcome: { name: "Cerebral infarction", conceptIds: [C.cerebralInfarction], includeDescendants: true },
  } satisfies Pick<ModelPackage, "input" | "outcome">,
};
