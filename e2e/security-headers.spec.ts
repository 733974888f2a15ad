import { expect, test } from "./support/test";
import { E2E_BASE_URL, E2E_PASSWORD } from "./support/constants";
import { signInAndLand } from "./support/session";

test("pages carry a strict Content-Security-Policy with a fresh nonce, HSTS, Permissions-Policy and COOP", async ({
  page,
}) => {
  const policies: string[] = [];
  for (let i = 0; i < 2; i++) {
    const response = await page.goto("/signin");
    const headers = response!.headers();
    policies.push(headers["content-security-policy"] ?? "");
    expect(headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    expect(headers["permissions-policy"]).toContain("camera=()");
    expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
  }
  const nonces = policies.map((p) => /script-src 'self' 'nonce-([^']+)' 'strict-dynamic'(;|$)/.exec(p)?.[1]);
  expect(nonces[0]).toBeTruthy();
  expect(nonces[1]).not.toBe(nonces[0]);
  expect(policies[1]).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);
  expect(policies[1]).toContain("frame-ancestors 'none'");
  // Every script Next.js rendered carries this response's nonce.
  const scriptNonces = await page
    .locator("script")
    .evaluateAll((scripts) => scripts.map((s) => (s as HTMLScriptElement).nonce));
  expect(scriptNonces.length).toBeGreaterThan(0);
  expect(new Set(scriptNonces)).toEqual(new Set([nonces[1]]));
});

test("injected markup's script does not run, and the violation is reported", async ({ page, cspViolations }) => {
  await signInAndLand(page, "researcher@demo.flip");
  // What a stored XSS would look like: markup with an inline event handler.
  await page.evaluate(() => {
    document.body.insertAdjacentHTML("beforeend", '<img src="/icon.svg?x" onload="window.__injected = true">');
  });
  await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  expect(cspViolations.splice(0)).toEqual([
    expect.objectContaining({ directive: "script-src-attr", blocked: "inline" }),
  ]);
});

test("a callbackUrl that a browser would resolve to another host lands on the portal's home", async ({ page }) => {
  for (const callback of ["/\\evil.example/", "/\t/evil.example/"]) {
    await page.context().clearCookies();
    await page.goto(`/signin?callbackUrl=${encodeURIComponent(callback)}`);
    await page.getByLabel("Email").fill("researcher@demo.flip");
    await page.getByLabel("Password").fill(E2E_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("heading", { name: /^Welcome,/ })).toBeVisible();
    expect(new URL(page.url()).origin).toBe(new URL(E2E_BASE_URL).origin);
    expect(new URL(page.url()).pathname).toBe("/");
  }
});
