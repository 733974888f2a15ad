import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL(".", import.meta.url)),
      // `server-only` throws outside React Server Components; tests call server code directly.
      "server-only": fileURLToPath(new URL("./server/lib/test-support/server-only-stub.ts", import.meta.url)),
    },
  },
  test: {
    include: ["{protocol,server,db,workers,app}/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./server/lib/test-support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
