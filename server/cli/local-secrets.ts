import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getHubConfig } from "@/server/config";

/** A secret from the (checked) environment, or one generated on first use and kept (mode 0600) under FLIP_DATA_DIR. */
export function persistentSecret(
  envName: "DEMO_PASSWORD" | "NEXTAUTH_SECRET",
  fileName: string,
  make: () => string = () => randomBytes(32).toString("base64url"),
): { value: string; isGenerated: boolean } {
  const config = getHubConfig();
  const fromEnv = config[envName];
  if (fromEnv) return { value: fromEnv, isGenerated: false };
  const file = path.join(config.FLIP_DATA_DIR, fileName);
  if (existsSync(file)) return { value: readFileSync(file, "utf8").trim(), isGenerated: true };
  mkdirSync(config.FLIP_DATA_DIR, { recursive: true });
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, isGenerated: true };
}
