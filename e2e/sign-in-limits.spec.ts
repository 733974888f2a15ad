import { expect, test } from "@playwright/test";
import { formAlert, signIn } from "./support/session";

test("a wrong password shows an error, and the sixth quick failure says how long to wait", async ({ page }) => {
  // A dedicated address keeps the demo accounts usable for the other journeys.
  const email = "nobody.guessing@demo.flip";
  for (let attempt = 1; attempt <= 5; attempt++) {
    await signIn(page, email, `wrong-password-${attempt}`);
    await expect(formAlert(page)).toHaveText("That email and password do not match an account.");
  }
  await signIn(page, email, "wrong-password-6");
  await expect(formAlert(page)).toHaveText(/Too many failed sign-in attempts\. Wait 15 minutes before trying again\./);
});

test("the right password for a demo account after a typo still signs in", async ({ page }) => {
  await signIn(page, "researcher@demo.flip", "not-it");
  await expect(formAlert(page)).toHaveText("That email and password do not match an account.");
  await signIn(page, "researcher@demo.flip");
  await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();
});
