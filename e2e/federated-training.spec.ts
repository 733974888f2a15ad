import { readFileSync } from "node:fs";
import { expect, test } from "./support/test";
import { unzipSync } from "fflate";
import { connectDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { findPatientData, siteFingerprints } from "@/server/lib/test-support/patient-data-scan";
import { siteDatabaseNames } from "@/workers/site-data/provision";
import { E2E_DATABASE, e2eAdminUrl, E2E_SITE_NAMESPACE } from "./support/constants";
import { signInAndLand } from "./support/session";

/**
 * The seeded "Prostate cancer risk" project, approved at all three sites with a model ready (with
 * differential privacy and secure aggregation): the researcher starts training, watches rounds come in from the three real site workers, opens the
 * model card and downloads the model. Afterwards the hub database holds nothing patient-level.
 */
test.describe.serial("federated training from the browser", () => {
  test.setTimeout(240_000);

  test("the researcher trains the demo model, watches the rounds, opens the card and downloads the model", async ({
    page,
  }) => {
    await signInAndLand(page, "researcher@demo.flip");
    await page.goto("/projects");
    await page.getByRole("link", { name: "Prostate cancer risk" }).click();
    await expect(page.getByRole("heading", { name: "Prostate cancer risk" })).toBeVisible();
    await expect(page.getByRole("link", { name: "PSA risk MLP" }).first()).toBeVisible();

    // A site's weight in training is bounded by the count it released: first count the approved cohort.
    await page.getByRole("button", { name: /^Run cohort count at / }).click();
    await expect(page.getByRole("heading", { name: "Cohort results" })).toBeVisible();
    const counts = page.getByRole("table", { name: "Per-site counts" });
    for (const code of ["KCH", "GSTT", "UCLH"])
      await expect(counts.getByRole("row").filter({ hasText: code })).toContainText("Done", { timeout: 60_000 });
    await page
      .getByRole("navigation", { name: "Breadcrumb" })
      .getByRole("link", { name: /Project/ })
      .click();
    await expect(page.getByRole("heading", { name: "Prostate cancer risk" })).toBeVisible();

    await page.getByRole("link", { name: "Start training" }).click();
    const form = page.getByRole("form", { name: "Start a training job" });
    await expect(form).toBeVisible();
    await form.getByLabel("Rounds", { exact: true }).fill("2");
    await form.getByLabel("Local epochs").fill("3");
    await form.getByLabel("Round deadline (seconds)").fill("180");
    // The bundle requires differential privacy, so the form starts with it on and estimates ε live.
    await expect(form.getByRole("checkbox", { name: /Differential privacy/ })).toBeChecked();
    await expect(form.getByRole("status").filter({ hasText: /About ε = \d+\.\d\d at δ = 0\.00001/ })).toBeVisible();
    // It requires secure aggregation too: the switch is on and cannot be turned off, and says what it does.
    const secure = form.getByRole("checkbox", { name: /Secure aggregation/ });
    await expect(secure).toBeChecked();
    await expect(secure).toBeDisabled();
    await expect(form.getByText(/each site then adds only its share of the noise/)).toBeVisible();
    for (const code of ["KCH", "GSTT", "UCLH"]) await expect(form.getByLabel(code, { exact: true })).toBeChecked();
    await form.getByRole("button", { name: "Start training" }).click();

    // The dashboard follows the rounds without a reload: the counter moves, the charts get points.
    const progress = page.getByRole("progressbar");
    await expect(progress).toHaveAttribute("aria-valuetext", /Round 1 of 2/, { timeout: 30_000 });
    // Round 2 starts once round 1 is aggregated; it may already be done by the time the page polls.
    await expect(progress).toHaveAttribute("aria-valuetext", /Round 2 of 2, [12] completed/, { timeout: 120_000 });
    await expect(page.getByRole("img", { name: "Validation AUC" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Job log, newest first" })).toContainText("Round aggregated");
    await expect(page.getByText(/Training finished: v\d+ is the new candidate version/)).toBeVisible({
      timeout: 150_000,
    });
    const timeline = page.getByRole("table", { name: "Participation" });
    for (const code of ["KCH", "GSTT", "UCLH"])
      await expect(timeline.getByRole("row").filter({ hasText: code })).toContainText("Reported");

    await page.getByRole("link", { name: /^Model card for v\d+/ }).click();
    await expect(page.getByRole("heading", { name: /^Model card: PSA risk MLP v\d+/ })).toBeVisible();
    for (const section of ["Intended use", "Data", "Training", "Privacy", "Approvals"])
      await expect(page.getByRole("heading", { name: section, exact: true })).toBeVisible();
    // The demo project's sites approved training only with DP: the card states the guarantee and each site's ε.
    await expect(page.getByText(/Gaussian noise multiplier 1\.2, δ = 0\.00001/)).toBeVisible();
    await expect(
      page.getByText("Secure aggregation: on, the hub saw only masked updates and their sum."),
    ).toBeVisible();
    const spend = page.getByRole("table", { name: "Privacy spent per site" });
    for (const code of ["KCH", "GSTT", "UCLH"])
      await expect(spend.getByRole("row").filter({ hasText: code })).toBeVisible();

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download model" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^psa-risk-mlp-v\d+\.zip$/);
    const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
    expect(Object.keys(files).sort()).toEqual(["model-card.md", "model.json", "weights.bin"]);
    const modelJson = JSON.parse(new TextDecoder().decode(files["model.json"]));
    expect(modelJson.weightsManifest[0].paths).toEqual(["weights.bin"]);

    const [markdown] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export Markdown" }).click(),
    ]);
    expect(readFileSync(await markdown.path(), "utf8")).toContain("# Model card: PSA risk MLP");
  });

  test("the hub database holds no person ids, image paths or row-level values from any site", async () => {
    const adminUrl = e2eAdminUrl();
    const fingerprints = (
      await Promise.all(
        ["KCH", "GSTT", "UCLH"].map((code) =>
          siteFingerprints(withDatabase(adminUrl, siteDatabaseNames(code, E2E_SITE_NAMESPACE).database)),
        ),
      )
    ).flat();
    expect(fingerprints.length).toBeGreaterThan(50);
    const { db, pool } = connectDatabase(withDatabase(adminUrl, E2E_DATABASE));
    try {
      expect(await findPatientData(db, fingerprints)).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});
