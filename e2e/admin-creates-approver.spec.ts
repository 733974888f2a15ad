import { expect, test } from "./support/test";
import { enrolAuthenticator } from "./support/second-factor";
import { formAlert, mainNav, signIn, signInAndLand } from "./support/session";

test.describe.serial("an admin brings a new approver on board", () => {
  const email = `new.approver.${Date.now()}@gstt.nhs.uk`;
  let temporaryPassword = "";

  test("admin creates the user and sees the temporary password once", async ({ page }) => {
    await signInAndLand(page, "admin@demo.flip");
    await mainNav(page).getByRole("link", { name: "Users", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();

    await page.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByText("Enter an email address")).toBeVisible();
    await expect(page.getByText("Enter a name")).toBeVisible();

    await page.getByLabel("Email").fill("admin@demo.flip");
    await page.getByLabel("Name").fill("Duplicate Admin");
    await page.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByText("A user with this email already exists")).toBeVisible();

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Name").fill("Gita Governance");
    await page.getByRole("button", { name: "Create user" }).click();
    const secret = page.getByTestId("temporary-password");
    await expect(secret).toBeVisible();
    temporaryPassword = (await secret.textContent())?.trim() ?? "";
    expect(temporaryPassword).toMatch(/^[A-Za-z0-9]{16}$/);

    await page.reload();
    await expect(page.getByTestId("temporary-password")).toHaveCount(0);
  });

  test("admin asks for approver at GSTT (a grant without a site is refused); a second admin confirms", async ({
    page,
  }) => {
    await signInAndLand(page, "admin@demo.flip");
    await page.goto("/admin/users");
    await page.getByLabel("Search users").fill(email);
    await page.getByRole("link", { name: "Gita Governance" }).first().click();

    await page.getByLabel("Role").selectOption("approver");
    await page.getByRole("button", { name: "Grant role" }).click();
    await expect(page.getByText("An approver acts for one site: choose the site")).toBeVisible();

    await page.getByLabel("Site").selectOption({ label: "GSTT · Guy's and St Thomas'" });
    await page.getByRole("button", { name: "Grant role" }).click();
    await expect(page.getByText("Another admin must confirm it")).toBeVisible();
    const waiting = page.getByRole("list", { name: "Grants waiting for confirmation" });
    await expect(waiting).toContainText("Approver for GSTT");
    // The admin who asked cannot confirm it.
    await waiting.getByRole("button", { name: "Confirm grant" }).click();
    await expect(page.getByText("Another admin must confirm an approver grant you asked for.")).toBeVisible();
    const userPage = page.url();

    // GSTT's approver is told before anything is confirmed.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await signInAndLand(page, "approver.gstt@demo.flip");
    await page.goto("/approvals");
    await expect(page.getByRole("list", { name: "Approver changes at GSTT" })).toContainText(
      `asked for ${email} to become an approver`,
    );

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await signInAndLand(page, "admin2@demo.flip");
    await page.goto(userPage);
    await page
      .getByRole("list", { name: "Grants waiting for confirmation" })
      .getByRole("button", { name: "Confirm grant" })
      .click();
    await expect(page.getByRole("list", { name: "Current grants" })).toContainText("GSTT");
  });

  test("the new approver must set a password and an authenticator app, then sees the approver area", async ({
    page,
  }) => {
    await signIn(page, email, temporaryPassword);
    await expect(page).toHaveURL(/\/account\/password/);
    await expect(page.getByRole("heading", { name: "Choose your own password" })).toBeVisible();

    await page.getByLabel("Current password").fill(temporaryPassword);
    await page.getByLabel("New password", { exact: true }).fill("short");
    await page.getByLabel("Repeat new password").fill("short");
    await page.getByRole("button", { name: "Save password" }).click();
    await expect(page.getByText("Use at least 12 characters")).toBeVisible();

    await page.getByLabel("New password", { exact: true }).fill("gita-chooses-her-own-password");
    await page.getByLabel("Repeat new password").fill("gita-chooses-her-own-password");
    await page.getByRole("button", { name: "Save password" }).click();
    // An approver's role needs a second factor: set up on this first sign-in.
    await expect(page.getByRole("heading", { name: "Set up your second factor" })).toBeVisible();
    await enrolAuthenticator(page, email);
    await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();

    await mainNav(page)
      .getByRole("link", { name: /^Approvals(,|$)/ })
      .click();
    await expect(page.getByRole("heading", { name: "Approvals", exact: true })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Guy's and St Thomas'" })).toBeVisible();
    await expect(page.getByText("No requests waiting")).toBeVisible();

    // The temporary password no longer works.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await signIn(page, email, temporaryPassword);
    await expect(formAlert(page)).toHaveText("That email and password do not match an account.");
  });

  test("the audit log shows those actions and the chain verifies", async ({ page }) => {
    await signInAndLand(page, "admin@demo.flip");
    await mainNav(page).getByRole("link", { name: "Audit log", exact: true }).click();
    await expect(page.getByTestId("audit-chain-status")).toContainText(/Audit chain verified: \d+ events intact/);
    const events = page.getByRole("table", { name: "Audit events" });
    await page.getByLabel("Actor").fill(email);
    await expect(events).toContainText("user.password_changed");
    await page.getByLabel("Actor").fill("admin@demo.flip");
    await expect(events).toContainText("role.grant_requested");
    await expect(events).toContainText(`user:${email}`);
    await expect(events).toContainText("user.created");
    await page.getByLabel("Actor").fill("admin2@demo.flip");
    await expect(events).toContainText("role.granted");
  });
});
