import { randomInt } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";

// OWASP's recommended argon2id settings (19 MiB, 2 passes).
const ARGON2_OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id; a const enum, unusable under isolatedModules */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
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
