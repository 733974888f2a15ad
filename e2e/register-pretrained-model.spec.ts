import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "./support/test";
import { buildTemplate } from "@/protocol/models/templates";
import { buildModel, readWeights } from "@/protocol/models/weights";
import { signInAndLand } from "./support/session";

/**
 * A researcher brings a model trained elsewhere: a TF.js model.json and its weights file. Version
 * 1 in the registry is those weights, checked tensor by tensor against the architecture. Its input
 * differs from the demo model's, so registering it is a bundle change the sites must approve.
 */
test("the researcher registers a CT model from a TF.js model.json and its weights", async ({ page }) => {
  const input = { kind: "image" as const, height: 64, width: 64, channels: 1 as const, modality: "CT" as const };
  const topology = buildTemplate("small_cnn", { task: "binary_classification", input });
  const model = await buildModel(topology);
  const weights = readWeights(model);
  model.dispose();
  const dir = mkdtempSync(path.join(tmpdir(), "flip-pretrained-"));
  writeFileSync(
    path.join(dir, "model.json"),
    JSON.stringify({
      format: "layers-model",
      modelTopology: topology,
      weightsManifest: [
        { paths: ["weights.bin"], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: "float32" })) },
      ],
    }),
  );
  writeFileSync(
    path.join(dir, "weights.bin"),
    Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength))),
  );

  await signInAndLand(page, "researcher@demo.flip");
  await page.goto("/projects");
  await page.getByRole("link", { name: "Stroke lesion detection on CT" }).click();
  await page.getByRole("link", { name: "Register a model" }).click();
  await page.getByLabel("Model name").fill("Pretrained lesion CNN");
  await page.getByLabel("Outcome name").fill("Cerebral infarction");
  await page.getByRole("combobox", { name: "Outcome condition concepts" }).fill("Cerebral infarction");
  await page.getByRole("option", { name: "Cerebral infarction" }).click();

  // How sites read each scan is checked in the browser with the spec's own schema; a 2.5D stack's slices are its channels.
  await page.getByLabel("Slices", { exact: true }).selectOption("stack");
  await page.getByLabel("Slices in the stack").fill("4");
  await expect(page.getByLabel("Channels", { exact: true })).toHaveValue("4");
  await page.getByLabel("Window", { exact: true }).selectOption("level_width");
  await page.getByLabel("Window width").fill("");
  await page.getByRole("button", { name: "Register model" }).click();
  await expect(page.getByText("Stack an odd number of slices, so the centre slice is in the middle")).toBeVisible();
  await expect(page.getByText("Enter the window width")).toBeVisible();
  await page.getByLabel("Slices in the stack").fill("3");
  await page.getByLabel("Window width").fill("80");
  await expect(
    page.getByText(/Sites will read each scan as: window level 40, width 80, 2\.5D stack of 3 slices/),
  ).toBeVisible();
  await expect(page.getByLabel("Channels", { exact: true })).toHaveValue("3");
  // These weights were trained on one greyscale slice: back to the default, the robust window on the centre slice.
  await page.getByLabel("Window", { exact: true }).selectOption("robust");
  await page.getByLabel("Slices", { exact: true }).selectOption("centre");
  await expect(page.getByLabel("Channels", { exact: true })).toHaveValue("1");
  await expect(page.getByText(/Sites will read each scan as: per-image robust window, centre slice/)).toBeVisible();

  await page.getByRole("radio", { name: "Paste or upload TF.js layers JSON" }).check();
  await page.getByLabel("Or upload a model.json").setInputFiles(path.join(dir, "model.json"));
  await page.getByLabel("Its weight files (.bin), optional").setInputFiles(path.join(dir, "weights.bin"));
  await expect(page.getByText("Version 1 will start from these weights (1 file(s))")).toBeVisible();
  // Sites approve what a model learns from and predicts: this one (no left-right mirroring) is not in the bundle yet.
  await expect(
    page.getByText(
      "Sites approve what a model learns from and predicts: registering it makes a new revision that GSTT, KCH and UCLH must approve before it can train.",
    ),
  ).toBeVisible();
  await page.getByRole("button", { name: "Register model" }).click();

  await expect(page.getByRole("heading", { name: "Pretrained lesion CNN" })).toBeVisible();
  const v1 = page.getByRole("row").filter({ hasText: "v1" });
  await expect(v1).toContainText(/import/i);
  await expect(
    page.getByText(/lists this model and needs approval by GSTT, KCH and UCLH before it can train there/),
  ).toBeVisible();

  // The project needs re-approval: submitted again, every site pending on the new revision, which lists the model.
  await page.getByRole("link", { name: "Stroke lesion detection on CT" }).click();
  await expect(page.getByText("Submitted", { exact: true })).toBeVisible();
  const approvals = page.getByRole("table", { name: "Site approvals" });
  for (const code of ["GSTT", "KCH", "UCLH"])
    await expect(approvals.getByRole("row").filter({ hasText: code })).toContainText("Pending");
});
