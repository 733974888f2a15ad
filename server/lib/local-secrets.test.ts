import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { authOptions } from "@/server/auth/auth-options";
import { secretFile, sessionSigningSecret } from "./local-secrets";

const root = mkdtempSync(path.join(tmpdir(), "flip-secrets-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("local secrets", () => {
  it("generates a random secret per data folder, keeps it (mode 0600) and returns it again", () => {
    const a = secretFile(path.join(root, "a", "nextauth-secret"));
    const b = secretFile(path.join(root, "b", "nextauth-secret"));
    expect(a).toMatch(/^[\w-]{43}$/);
    expect(b).not.toBe(a);
    expect(secretFile(path.join(root, "a", "nextauth-secret"))).toBe(a);
    expect(statSync(path.join(root, "a", "nextauth-secret")).mode & 0o777).toBe(0o600);
  });

  it("signs sessions with NEXTAUTH_SECRET or the data folder's generated key, never next-auth's predictable default", () => {
    expect(authOptions.secret).toBe(sessionSigningSecret());
    expect(authOptions.secret!.length).toBeGreaterThanOrEqual(32);
  });
});
