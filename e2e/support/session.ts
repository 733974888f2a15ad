import { expect, type Page } from "@playwright/test";
import { E2E_PASSWORD } from "./constants";
import { proveSecondFactor } from "./second-factor";

export async function signIn(page: Page, email: string, password = E2E_PASSWORD) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Signs in and lands on the home page, answering the second-factor step with a computed code when the account has one. */
export async function signInAndLand(page: Page, email: string, password = E2E_PASSWORD) {
  await signIn(page, email, password);
  const welcome = page.getByRole("heading", { name: /^Welcome,/ });
  const verify = page.getByRole("heading", { name: "Confirm it's you" });
  await expect(welcome.or(verify)).toBeVisible();
  if (await verify.isVisible()) await proveSecondFactor(page, email);
  await expect(welcome).toBeVisible();
}

export function mainNav(page: Page) {
  return page.getByRole("navigation", { name: "Main" });
}

/** The message a form shows; Next.js' own route announcer is also an alert, outside <main>. */
export function formAlert(page: Page) {
  return page.getByRole("main").getByRole("alert");
}
