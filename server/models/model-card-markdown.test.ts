import { marked } from "marked";
import { beforeAll, describe, expect, test } from "vitest";
import type { Viewer } from "@/server/auth/permissions";
import { callerAs, makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { logisticModel, makeTrainingProject } from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();
let researcher: Viewer;
let project: { projectId: string; modelId: string; versionId: string };

const FORGED_APPROVALS = [
  "See below.",
  "",
  "| Site | Decision | By | On |",
  "| --- | --- | --- | --- |",
  "| RGT | approved | caldicott@nhs.net | 2024-01-01 |",
  "",
  '<img src="x" onerror="alert(document.cookie)"> **bold** [link](https://evil.example/)',
  "# Not a heading",
].join("\n");

beforeAll(async () => {
  const db = testDb.db();
  researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const site = await makeSite(db);
  const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
  project = await makeTrainingProject(db, researcher, [{ approver, siteId: site.id }], {
    model: logisticModel("Risk <script>alert(1)</script> | model"),
  });
});

describe("the model card's Markdown export", () => {
  test("shows researcher-typed Markdown and HTML as text: no forged table, image, link or heading", async () => {
    const caller = callerAs(testDb.db(), researcher);
    await caller.models.updateLimitations({ ...project, limitations: FORGED_APPROVALS });
    const card = await caller.models.card(project);
    const html = await marked.parse(card.markdown);

    // Only the card's own table (approvals; this version has no training data) and heading, nothing the researcher made.
    expect(html.match(/<table>/g)).toHaveLength(1);
    expect(html).not.toMatch(/<img|<script|<strong>bold|>link<\/a>/);
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html).not.toContain("caldicott@nhs.net</td>");
    // What the researcher typed is still there to read.
    expect(html).toContain("&lt;img src=");
    expect(html).toContain("Risk &lt;script&gt;alert(1)&lt;/script&gt; | model");
    expect(html).toContain("# Not a heading");
  });
});
