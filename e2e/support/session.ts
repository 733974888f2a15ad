import { expect, type Page } from "@playwright/test";
import { E2E_PASSWORD } from "./constants";

export async function signIn(page: Page, email: string, password = E2E_PASSWORD) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

export async function signInAndLand(page: Page, email: string, password = E2E_PASSWORD) {
  await signIn(page, email, password);
  await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();
}

export function mainNav(page: Page) {
  return page.getByRole("navigation", { name: "Main" });
}

/** The message a form shows; Next.js' own route announcer is also an alert, outside <main>. */
export function formAlert(page: Page) {
  return page.getByRole("main").getByRole("alert");
}
