import { randomInt } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";
import { createWorkSlots } from "@/server/lib/work-slots";

// OWASP's recommended argon2id settings (19 MiB, 2 passes).
const ARGON2_OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id; a const enum, unusable under isolatedModules */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Password hashes are CPU- and memory-hard on purpose, so a flood of sign-in attempts must not
 * take every core from signed-in people: this process runs at most FLIP_PASSWORD_HASH_CONCURRENCY
 * of them at once and refuses new ones while 200 are waiting.
 */
let slots: ReturnType<typeof createWorkSlots> | undefined;
function hashSlots() {
  slots ??= createWorkSlots(
    getHubConfig().FLIP_PASSWORD_HASH_CONCURRENCY,
    200,
    () => new AppError("TOO_MANY_REQUESTS", "The portal is busy checking other sign-ins. Try again in a few seconds."),
  );
  return slots;
}

export function hashPassword(password: string): Promise<string> {
  return hashSlots().run(() => hash(password, ARGON2_OPTIONS));
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return hashSlots().run(async () => {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  });
}

// Verifying against this keeps an unknown email as slow as a wrong password.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword("flip-portal-timing-equaliser");
  await verifyPassword(await dummyHash, password);
}

// No look-alike characters (0/O, 1/l/I) so a password read aloud or copied by hand survives.
const ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

export function generateTemporaryPassword(length = 16): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
