import { get } from "node:http";
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

test("API answers, served before Next.js routes them, carry the same protections and a large one is gzipped", async ({
  page,
}) => {
  await signInAndLand(page, "researcher@demo.flip");
  // A batch of four, as the browser's client sends them: well over the 1 KB from which answers are compressed.
  const batch = Object.fromEntries([0, 1, 2, 3].map((i) => [i, { json: {} }]));
  const path = `/api/trpc/${Array(4).fill("projects.list").join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(batch))}`;
  const plain = await page.request.get(path, { headers: { "accept-encoding": "identity" } });
  expect(plain.status()).toBe(200);
  const headers = plain.headers();
  expect(headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["cross-origin-resource-policy"]).toBe("same-origin");
  expect(headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(headers["content-encoding"]).toBeUndefined();
  const body = await plain.body();
  expect(body.byteLength).toBeGreaterThan(1024);
  // Sent whole, with its length (Next.js would have streamed it in chunks).
  expect(headers["content-length"]).toBe(String(body.byteLength));
  const gzipped = await page.request.get(path, { headers: { "accept-encoding": "gzip" } });
  expect(gzipped.headers()["content-encoding"]).toBe("gzip");
  expect(await gzipped.json()).toEqual(await plain.json());
});

test("the portal keeps an idle connection past a worker's longest heartbeat interval and a load balancer's idle timeout", async () => {
  const keepAlive = await new Promise<string | undefined>((resolve, reject) =>
    get(`${E2E_BASE_URL}/api/health`, (res) => {
      res.resume();
      resolve(res.headers["keep-alive"]?.toString());
    }).on("error", reject),
  );
  // Above 60 s: a site worker reuses its connection, and a balancer never reuses one just closed here.
  expect(keepAlive).toBe("timeout=65");
});
