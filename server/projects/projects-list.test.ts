import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { projects } from "@/db/schema";
import { callerAs, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();

describe("a researcher's project list", () => {
  it("shows only their own projects, newest first, filtered by status and by words of the title", async () => {
    const db = testDb.db();
    const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    const other = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    const mine = callerAs(db, researcher);
    const purpose = "A purpose long enough for the project to be created.";
    const stroke = await mine.projects.create({ title: "Stroke outcomes", purpose });
    const sepsis = await mine.projects.create({ title: "Sepsis 100% early", purpose });
    const kidney = await mine.projects.create({ title: "Kidney_injury", purpose });
    await callerAs(db, other).projects.create({ title: "Stroke elsewhere", purpose });
    await db.update(projects).set({ status: "closed" }).where(eq(projects.id, sepsis.id));
    const titles = async (input: Parameters<typeof mine.projects.list>[0]) =>
      (await mine.projects.list(input)).map((p) => p.title);

    expect(await titles({})).toEqual(["Sepsis 100% early", "Kidney_injury", "Stroke outcomes"]);
    expect(await titles({ status: "closed" })).toEqual(["Sepsis 100% early"]);
    expect(await titles({ status: "draft" })).toEqual(["Kidney_injury", "Stroke outcomes"]);
    expect(await titles({ search: "STROKE" })).toEqual(["Stroke outcomes"]);
    expect(await titles({ search: "stroke", status: "closed" })).toEqual([]);
    // The wildcard characters of LIKE are searched for as themselves.
    expect(await titles({ search: "100%" })).toEqual(["Sepsis 100% early"]);
    expect(await titles({ search: "y_i" })).toEqual(["Kidney_injury"]);
    expect(await titles({ search: "%" })).toEqual(["Sepsis 100% early"]);
    expect(await titles({ search: "_" })).toEqual(["Kidney_injury"]);
    expect((await mine.projects.list({})).map((p) => p.id).sort()).toEqual([stroke.id, sepsis.id, kidney.id].sort());
  });
});
