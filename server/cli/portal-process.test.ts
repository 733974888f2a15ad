import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { BUILD_INPUTS, isBuildStale } from "./portal-process";

/** `npm run demo` and `bench:load` rebuild the portal when it is stale: a change the build is made from must count. */
const REPO = path.resolve(import.meta.dirname, "../..");
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A checkout with a build made at `builtAt` and `files` written after it (or before, at `at`). */
function checkout(files: Record<string, number>, builtAt = Date.now() / 1000 - 60) {
  root = mkdtempSync(path.join(tmpdir(), "flip-build-"));
  mkdirSync(path.join(root, ".next"));
  writeFileSync(path.join(root, ".next", "BUILD_ID"), "build");
  utimesSync(path.join(root, ".next", "BUILD_ID"), builtAt, builtAt);
  for (const [file, at] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), "// changed");
    utimesSync(path.join(root, file), at, at);
  }
  // The folders were made now too; as in a checkout, they are as old as the build's last pull.
  const age = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory() && entry.name !== ".next") age(path.join(dir, entry.name));
    if (dir !== root) utimesSync(dir, builtAt - 60, builtAt - 60);
  };
  age(root);
  return root;
}

describe("whether the production build is stale", () => {
  const before = Date.now() / 1000 - 120;
  const after = Date.now() / 1000;

  test.each(["protocol/contract.ts", "instrumentation.ts", "proxy.ts", "server/root.ts", "app/page.tsx"])(
    "a change to %s after the build makes it stale",
    (file) => {
      expect(isBuildStale(checkout({ [file]: after, "server/old.ts": before }))).toBe(true);
    },
  );

  test("changes to the benchmarks, the browser tests and the docs do not, nor do sources older than the build", () => {
    expect(
      isBuildStale(
        checkout({ "bench/round.ts": after, "e2e/demo.spec.ts": after, "README.md": after, "protocol/old.ts": before }),
      ),
    ).toBe(false);
  });

  test("every folder the portal's code imports from is one of the build's inputs", () => {
    const imported = new Set<string>();
    const scan = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const full = path.join(dir, entry);
        if (entry === "node_modules" || entry.startsWith(".")) continue;
        if (statSync(full).isDirectory()) scan(full);
        else if (/\.(ts|tsx|mjs)$/.test(entry) && !/\.test\.tsx?$/.test(entry))
          for (const [, folder] of readFileSync(full, "utf8").matchAll(/from "@\/([\w-]+)\//g)) imported.add(folder!);
      }
    };
    for (const dir of ["app", "server", "db", "protocol"]) scan(path.join(REPO, dir));
    imported.delete("bench");
    expect([...imported].filter((folder) => !BUILD_INPUTS.includes(folder))).toEqual([]);
  });
});
