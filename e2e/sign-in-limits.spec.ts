import { expect, test } from "./support/test";
import { like } from "drizzle-orm";
import { connectDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { signInFailures } from "@/db/schema";
import { E2E_DATABASE, e2eAdminUrl } from "./support/constants";
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

test("a client cannot escape the limit by writing its own X-Forwarded-For", async ({ page }) => {
  const email = "nobody.rotating@demo.flip";
  for (let attempt = 1; attempt <= 5; attempt++) {
    // A different "client address" each time: believed only from a configured trusted proxy.
    await page.setExtraHTTPHeaders({ "x-forwarded-for": `198.51.100.${attempt}` });
    await signIn(page, email, `wrong-password-${attempt}`);
    await expect(formAlert(page)).toHaveText("That email and password do not match an account.");
  }
  await page.setExtraHTTPHeaders({ "x-forwarded-for": "198.51.100.99" });
  await signIn(page, email, "wrong-password-6");
  await expect(formAlert(page)).toHaveText(/Too many failed sign-in attempts\. Wait 15 minutes before trying again\./);
  // The limiter counted the address that actually connected, never one the client wrote.
  const { db, pool } = connectDatabase(withDatabase(e2eAdminUrl(), E2E_DATABASE));
  try {
    const rows = await db
      .selectDistinct({ key: signInFailures.key })
      .from(signInFailures)
      .where(like(signInFailures.key, `%${email}%`));
    expect(rows.map((r) => r.key).sort()).toEqual([
      `email:${email}`,
      expect.stringMatching(/^pair:.*\|(127\.0\.0\.1|::1)$/),
    ]);
  } finally {
    await pool.end();
  }
});
