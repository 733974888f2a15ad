import { defineConfig, devices } from "@playwright/test";
import { e2eBrowser } from "./e2e/support/browser";
import { E2E_BASE_URL } from "./e2e/support/constants";

const browser = e2eBrowser();

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  // Unpacks the browser when it is @sparticuz/chromium's and prints "e2e browser: …" once.
  globalSetup: "./e2e/support/browser.ts",
  // A sign-in may wait up to 30 s for an authenticator step its account has not used yet (e2e/support/second-factor.ts).
  timeout: 90_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: E2E_BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: browser.executablePath,
      args: browser.args,
      env: browser.env,
    },
  },
  projects: [{ name: "desktop", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 } } }],
  webServer: {
    command: "npx tsx e2e/support/start-portal.ts",
    url: `${E2E_BASE_URL}/signin`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
  },
});
