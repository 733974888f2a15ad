import { describe, expect, it } from "vitest";
import { callerAs, fieldErrorsOfCall, makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { makeTrainingProject } from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { emptyDraft, newFeature, toRegisterInput } from "@/app/(portal)/projects/[projectId]/models/new/model-draft";

const testDb = useTestDatabase();

describe("throwaway: form input against the real procedure", () => {
  it("registers image and tabular drafts, shows architecture errors", async () => {
    const db = testDb.db();
    const site = await makeSite(db);
    const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
    const project = { id: (await makeTrainingProject(db, researcher, [{ approver, siteId: site.id }])).projectId };
    const caller = callerAs(db, researcher);
    const outcome = { name: "Pneumonia", concepts: [{ id: 255848, name: "Pneumonia" }], includeDescendants: true, withinDays: 30 };
    const image = toRegisterInput(project.id, { ...emptyDraft(), name: "CXR", outcome });
    expect(image.issues).toEqual({});
    const r1 = await caller.models.register(image.input!);
    console.log("image params", r1.model.parameterCount);
    const hba1c = { ...newFeature(), name: "hba1c", measurement: { id: 3004410, name: "HbA1c" } };
    const sex = { ...newFeature(), name: "sex", source: "demographic" as const, field: "sex" as const, encoding: "one_hot" as const };
    const tab = toRegisterInput(project.id, { ...emptyDraft(), name: "Tab", inputKind: "tabular", features: [hba1c, sex], architecture: { kind: "template", template: "mlp" }, outcome });
    const r2 = await caller.models.register(tab.input!);
    console.log("tab params", r2.model.parameterCount);
    const bad = toRegisterInput(project.id, { ...emptyDraft(), name: "Bad", outcome, architecture: { kind: "json", text: JSON.stringify({ class_name: "Sequential", config: { layers: [{ class_name: "Dense", config: { units: 1 } }] } }), fileName: null } });
    console.log("bad", JSON.stringify(await fieldErrorsOfCall(caller.models.register(bad.input!))));
    const dup = await fieldErrorsOfCall(caller.models.register(image.input!));
    console.log("dup", JSON.stringify(dup));
    console.log("list", JSON.stringify(await caller.models.list({ projectId: project.id })).slice(0, 600));
    const card = await caller.models.card({ projectId: project.id, modelId: r1.model.id });
    console.log("card", JSON.stringify({ ...card, markdown: undefined }).slice(0, 1500));
  });
});
