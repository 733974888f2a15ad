import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { chromium } from "@playwright/test";

/** The Chromium the journeys run in, and why that one. */
interface E2eBrowser {
  /** Human-readable origin, e.g. "CHROMIUM_PATH" or "@sparticuz/chromium 153.0.0". */
  source: string;
  /** Undefined means Playwright's own installed browser. */
  executablePath: string | undefined;
  args: string[];
  /** The browser's environment; undefined means this process's. */
  env: Record<string, string> | undefined;
  /** Set when the browser is @sparticuz/chromium's, which global setup unpacks before the first test. */
  sparticuz?: { version: string; dir: string };
}

const BASE_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * From @sparticuz/chromium's own `args`, only what suits a test browser on a build machine. Left out on
 * purpose: `--single-process` (all contexts would share one cookie store), `--disable-web-security`,
 * `--allow-running-insecure-content` and the site-isolation switches (the journeys must see the browser's
 * real security model), and the WebGL/SwiftShader switches (we run with `--disable-gpu`).
 */
const SPARTICUZ_ARGS = [
  "--font-render-hinting=none",
  "--disable-domain-reliability",
  "--no-pings",
  "--no-default-browser-check",
  "--disable-print-preview",
];

/** Where a system Chromium usually is: /usr/bin/chromium, then these names on PATH. */
const SYSTEM_CANDIDATES = ["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"];

/**
 * Picks the browser: `CHROMIUM_PATH` if set; a system Chromium if one is installed; otherwise the
 * Chromium that `npm ci` brings in @sparticuz/chromium (Linux only, unpacked into the temp directory
 * by the global setup below); Playwright's own installed browser only as a last resort. Side-effect
 * free, so the config (which tools such as knip load too) can call it.
 */
export function e2eBrowser(): E2eBrowser {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return { source: "CHROMIUM_PATH", executablePath: fromEnv, args: BASE_ARGS, env: undefined };

  for (const candidate of SYSTEM_CANDIDATES) {
    const found = findExecutable(candidate);
    if (found) return { source: "system Chromium", executablePath: found, args: BASE_ARGS, env: undefined };
  }

  const sparticuz = sparticuzLocation();
  if (sparticuz) {
    return {
      source: `@sparticuz/chromium ${sparticuz.version}`,
      executablePath: path.join(sparticuz.dir, "chromium"),
      args: [...BASE_ARGS, ...SPARTICUZ_ARGS],
      env: { ...definedEnv(), FONTCONFIG_FILE: path.join(sparticuz.dir, "fonts.conf") },
      sparticuz,
    };
  }

  if (existsSync(chromium.executablePath())) {
    return { source: "Playwright's installed Chromium", executablePath: undefined, args: BASE_ARGS, env: undefined };
  }
  throw new Error(
    "No Chromium for the e2e journeys: set CHROMIUM_PATH, install Chromium, or run `npx playwright install chromium`.",
  );
}

/** Playwright's global setup: unpack the browser if it is @sparticuz/chromium's, and say which one runs. */
export default async function prepareE2eBrowser() {
  const browser = e2eBrowser();
  if (browser.sparticuz) await unpackSparticuzChromium(browser.sparticuz.dir);
  console.log(`e2e browser: ${browser.source} (${browser.executablePath ?? chromium.executablePath()})`);
}

/** process.env without unset keys, the shape Playwright's launch `env` takes. */
function definedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function findExecutable(name: string): string | undefined {
  const paths = path.isAbsolute(name)
    ? [name]
    : (process.env.PATH ?? "").split(path.delimiter).flatMap((dir) => (dir ? [path.join(dir, name)] : []));
  return paths.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Where @sparticuz/chromium unpacks: a directory of its own per package version and user (the package
 * itself would reuse whatever /tmp/chromium is there, even one from another version). Undefined off
 * Linux x64/arm64 or when the package is not installed.
 */
function sparticuzLocation(): { version: string; dir: string } | undefined {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return undefined;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve("@sparticuz/chromium");
  } catch {
    return undefined;
  }
  const packageJson = path.join(path.dirname(entry), "..", "package.json");
  const version = (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
  const user = process.getuid?.() ?? os.userInfo().username;
  return { version, dir: path.join(os.tmpdir(), `flip-e2e-chromium-${version}-${user}`) };
}

/**
 * Unpacks the browser, its fonts and SwiftShader into `dir`, built under a temporary name and renamed
 * into place so that concurrent runs never see a half-written browser.
 */
async function unpackSparticuzChromium(dir: string) {
  if (existsSync(dir)) return;
  const staging = `${dir}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const { default: Chromium } = await import("@sparticuz/chromium");
  const previousTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = staging; // the package unpacks into os.tmpdir()
  try {
    await Chromium.executablePath();
  } finally {
    if (previousTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmpdir;
  }
  // The package's fonts.conf names fixed /tmp paths; point fontconfig at the unpacked fonts instead.
  writeFileSync(
    path.join(staging, "fonts.conf"),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
      `  <dir>${path.join(dir, "fonts")}</dir>\n  <cachedir>${path.join(dir, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
  );
  try {
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(dir)) throw error; // not simply a concurrent run that finished first
  }
}
