import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getHubConfig } from "@/server/config";

const randomSecret = () => randomBytes(32).toString("base64url");

/** A secret from the (checked) environment, or one generated on first use and kept (mode 0600) under FLIP_DATA_DIR. */
export function persistentSecret(
  envName: "DEMO_PASSWORD" | "NEXTAUTH_SECRET" | "FLIP_FACTOR_KEY",
  fileName: string,
  make: () => string = randomSecret,
): { value: string; isGenerated: boolean } {
  const config = getHubConfig();
  const fromEnv = config[envName];
  if (fromEnv) return { value: fromEnv, isGenerated: false };
  return { value: secretFile(path.join(config.FLIP_DATA_DIR, fileName), make), isGenerated: true };
}

/**
 * The secret kept in `file`, generated (32 random bytes) and written with mode 0600 on first use.
 * Written exclusively, so two processes starting together agree on one value.
 */
export function secretFile(file: string, make: () => string = randomSecret): string {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${make()}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return readFileSync(file, "utf8").trim();
}

/**
 * The key that signs session cookies: NEXTAUTH_SECRET, or (outside production, where the
 * configuration requires it) one generated for this data folder. Never a predictable value.
 */
export function sessionSigningSecret(): string {
  return persistentSecret("NEXTAUTH_SECRET", "nextauth-secret").value;
}

/**
 * The key that encrypts authenticator-app secrets (AES-256-GCM) and keys the recovery-code hashes:
 * FLIP_FACTOR_KEY, or 32 random bytes generated for this data folder.
 */
export function factorKey(): Buffer {
  return Buffer.from(
    persistentSecret("FLIP_FACTOR_KEY", "factor-key", () => randomBytes(32).toString("base64")).value,
    "base64",
  );
}
