import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/** The layout's import boundaries are lint rules (eslint.config.mjs); these cases keep them honest. */
const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, "../..") });

async function restrictedImports(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = x;\n`, { filePath: file });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports")
    .map((m) => m.message);
}

describe("import boundaries", () => {
  it.each([
    ["workers/new-task.ts", 'import { x } from "@/server/trpc";', "never imports hub code"],
    ["workers/new-task.ts", 'import { x } from "../server/trpc";', "never imports hub code"],
    ["workers/new-task.ts", 'import { x } from "@/server/root";', "router as a type only"],
    ["protocol/new-schema.ts", 'import { x } from "@/workers/config";', "imports no other folder"],
    ["protocol/new-schema.ts", 'import { x } from "@/db/schema";', "imports no other folder"],
    ["db/schema/new-table.ts", 'import { x } from "@/server/errors";', "db/ imports only protocol/"],
    ["server/projects/new.service.ts", 'import { x } from "@/workers/site-data/generate";', "task queue"],
    ["server/cli/new-cli.ts", 'import { x } from "@/workers/runner";', "demo data generator"],
    ["app/(portal)/new-form.tsx", 'import { x } from "@/server/projects/projects.service";', "types only"],
    ["app/(portal)/page.tsx", 'import { x } from "@/workers/site-data/concepts";', "task queue"],
    ["workers/tasks/new-task.ts", 'import { x } from "../test-support/released";', "never imports test support"],
    [
      "server/jobs/new.service.ts",
      'import { x } from "@/server/lib/test-support/fixtures";',
      "never imports test support",
    ],
  ])("%s may not %s", async (file, source, message) => {
    expect(await restrictedImports(file, source)).toEqual([expect.stringContaining(message)]);
  });

  it.each([
    ["workers/new-task.ts", 'import { type x } from "@/server/root";'],
    ["workers/new-task.ts", 'import { x } from "@/protocol/contract";'],
    ["db/schema/new-table.ts", 'import { type x } from "@/protocol/contract";'],
    ["server/projects/new.service.ts", 'import { x } from "@/protocol/cohort-definition";'],
    ["server/cli/new-cli.ts", 'import { x } from "@/workers/site-data/generate";'],
    ["app/(portal)/new-form.tsx", 'import { x } from "@/server/projects/projects.schema";'],
    ["workers/new-task.test.ts", 'import { x } from "@/server/trpc";'],
  ])("%s may %s", async (file, source) => {
    expect(await restrictedImports(file, source)).toEqual([]);
  });
});
