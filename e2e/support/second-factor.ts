import { Secret, TOTP } from "otpauth";
import { expect, type Page } from "@playwright/test";
import { E2E_TOTP_SECRET } from "./constants";

const STEP_MS = 30_000;
/** The last 30-second step each account's code was typed for: the hub accepts a step once. */
const lastStepUsed = new Map<string, number>();

/**
 * What an authenticator app with `secret` shows, for a step not yet used for `account`: the
 * current one, else the next (the hub accepts one step either side), else after waiting for it.
 */
export async function nextTotpCode(account: string, secret = E2E_TOTP_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / STEP_MS);
  const step = Math.max(now, (lastStepUsed.get(account) ?? -1) + 1);
  const waitMs = (step - 1) * STEP_MS + 500 - Date.now();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  lastStepUsed.set(account, step);
  const totp = new TOTP({ algorithm: "SHA1", digits: 6, period: STEP_MS / 1000, secret: Secret.fromBase32(secret) });
  return totp.generate({ timestamp: step * STEP_MS });
}

/**
 * Answers the second-factor prompt on the page (the sign-in step or a step-up dialog) with a code
 * from `account`'s authenticator. A step this process did not know was used (a journey from an
 * earlier worker process) is refused as used; the next step is then typed.
 */
export async function proveSecondFactor(page: Page, account: string, secret = E2E_TOTP_SECRET) {
  const field = page.getByLabel("Code from your authenticator app");
  const used = page.getByText("That code has already been used");
  for (let attempt = 1; attempt <= 3; attempt++) {
    await field.fill(await nextTotpCode(account, secret));
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await expect(async () => {
      expect((await field.count()) === 0 || (await used.isVisible())).toBe(true);
    }).toPass({ timeout: 15_000 });
    if ((await field.count()) === 0) return;
  }
  throw new Error(`every code typed for ${account} was refused as already used`);
}

/**
 * Sets up an authenticator app where the page offers it (first sign-in, or Account security), as a
 * person would with the setup key instead of the QR code; returns the secret and the recovery codes.
 */
export async function enrolAuthenticator(page: Page, account: string) {
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  const secret = ((await page.getByTestId("totp-setup-key").textContent()) ?? "").replace(/\s/g, "");
  await page.getByLabel("Code from the app").fill(await nextTotpCode(account, secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const recoveryCodes = (await codes.allTextContents()).map((code) => code.trim());
  await page.getByRole("button", { name: "I have saved my recovery codes" }).click();
  return { secret, recoveryCodes };
}
