import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const DATA_DIR = path.resolve(process.env.FLIP_DATA_DIR ?? ".data");

/** A secret from the environment, or one generated on first use and kept (mode 0600) under .data/. */
export function persistentSecret(
  envName: string,
  fileName: string,
  make: () => string = () => randomBytes(32).toString("base64url"),
): { value: string; isGenerated: boolean } {
  const fromEnv = process.env[envName];
  if (fromEnv) return { value: fromEnv, isGenerated: false };
  const file = path.join(DATA_DIR, fileName);
  if (existsSync(file)) return { value: readFileSync(file, "utf8").trim(), isGenerated: true };
  mkdirSync(DATA_DIR, { recursive: true });
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, isGenerated: true };
}
