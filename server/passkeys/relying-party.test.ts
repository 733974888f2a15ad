import { describe, expect, it } from "vitest";
import { ConfigError, parseHubConfig } from "@/server/config";

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseHubConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("the passkeys' relying party id", () => {
  it("may be the portal's host or a domain it is under", () => {
    for (const rpId of ["flip.example.nhs.uk", "example.nhs.uk", "FLIP.example.nhs.uk"])
      expect(problemsOf({ NEXTAUTH_URL: "https://flip.example.nhs.uk", FLIP_WEBAUTHN_RP_ID: rpId })).toEqual([]);
  });

  it("refuses a domain browsers would never sign for on the portal's pages, naming both", () => {
    expect(problemsOf({ NEXTAUTH_URL: "https://flip.example.nhs.uk", FLIP_WEBAUTHN_RP_ID: "ple.nhs.uk" })).toEqual([
      'FLIP_WEBAUTHN_RP_ID must be NEXTAUTH_URL\'s host (flip.example.nhs.uk) or a domain it is under (got "ple.nhs.uk")',
    ]);
    expect(problemsOf({ FLIP_WEBAUTHN_RP_ID: "https://flip.example.nhs.uk" })).toEqual([
      'FLIP_WEBAUTHN_RP_ID must be a host name without scheme or port (like "flip.example.nhs.uk")',
    ]);
  });
});
