import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HUB_CONFIG_SCHEMA } from "./config";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Next.js's own variables, read where Next needs them rather than through server/config.ts. */
const NEXT_OWN = new Set(["NEXT_RUNTIME", "NEXT_PHASE", "NODE_ENV"]);

function sourceFiles(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (!existsSync(full)) return [];
  if (/\.(ts|tsx|mts|mjs|js)$/.test(entry)) return [entry];
  return readdirSync(full, { withFileTypes: true }).flatMap((child) => {
    if (child.name === "node_modules" || child.name === "test-support" || child.name.startsWith(".")) return [];
    const relative = path.join(entry, child.name);
    if (child.isDirectory()) return sourceFiles(relative);
    return /\.(ts|tsx|mts|mjs|js)$/.test(child.name) && !/\.test\.tsx?$/.test(child.name) ? [relative] : [];
  });
}

/** Each `process.env.X`, `process.env["X"]` and `const { X } = process.env` in the hub's code (tests excluded). */
function directReads(): Map<string, string[]> {
  const reads = new Map<string, string[]>();
  for (const file of ["server", "db", "app", "instrumentation.ts"].flatMap(sourceFiles)) {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const names = [
      ...[...text.matchAll(/process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!),
      ...[...text.matchAll(/process\.env\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\]/g)].map((m) => m[1]!),
      ...[...text.matchAll(/\{([^{}]*)\}\s*=\s*process\.env\b/g)].flatMap((m) =>
        m[1]!.split(",").map((part) => part.split(":")[0]!.trim()),
      ),
    ];
    for (const name of names.filter((n) => n && !NEXT_OWN.has(n))) reads.set(name, [...(reads.get(name) ?? []), file]);
  }
  return reads;
}

/** The variable names in the first column of README.md's Configuration table. */
function documentedVariables(): Set<string> {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("Configuration"));
  if (!section) throw new Error("README.md has no Configuration section");
  const firstCells = section
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) => line.split("|")[1] ?? "");
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!)));
}

describe("README.md's Configuration table", () => {
  const documented = documentedVariables();
  const configured = Object.keys(HUB_CONFIG_SCHEMA.shape);

  it("lists every variable in the hub's configuration schema", () => {
    expect(configured.filter((name) => !documented.has(name))).toEqual([]);
  });

  it("lists every variable the hub's code reads directly", () => {
    const undocumented = [...directReads()].filter(([name]) => !documented.has(name));
    expect(Object.fromEntries(undocumented)).toEqual({});
  });

  it("lists nothing the hub does not read", () => {
    const read = new Set([...configured, ...directReads().keys()]);
    expect([...documented].filter((name) => !read.has(name))).toEqual([]);
  });
});

describe("reading the environment", () => {
  it("goes through server/config.ts, so every value is checked at start-up", () => {
    const elsewhere = [...directReads()].flatMap(([name, files]) =>
      files.filter((file) => file !== path.join("server", "config.ts")).map((file) => `${file}: ${name}`),
    );
    expect(elsewhere).toEqual([]);
  });
});
