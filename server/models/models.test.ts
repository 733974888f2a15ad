import * as tf from "@tensorflow/tfjs";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { modelVersions, projectMembers } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import {
  auditFor,
  callerAs,
  makeSite,
  makeUser,
  refusedWithoutChange,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { logisticModel, makeTrainingProject, tfjsUploadOf } from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { buildTemplate } from "@/protocol/models/templates";
import { downloadModelVersion } from "./model-download";
import { unzipTfjs } from "./tfjs-files";

const testDb = useTestDatabase();
let researcher: Viewer;
let project: { projectId: string; modelId: string; versionId: string };

beforeAll(async () => {
  const db = testDb.db();
  researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const site = await makeSite(db);
  const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
  project = await makeTrainingProject(db, researcher, [{ approver, siteId: site.id }]);
});

const caller = () => callerAs(testDb.db(), researcher);

describe("registering a model", () => {
  test("a template model gets version 1 with fresh finite weights, the candidate alias and an audit event", async () => {
    const { model, version } = await caller().models.register({
      projectId: project.projectId,
      ...logisticModel("Registered one"),
    });
    expect(model).toMatchObject({ name: "Registered one", task: "binary_classification", parameterCount: 3 });
    expect(version).toMatchObject({
      number: 1,
      source: "initial",
      lineage: { kind: "initial", from: "template", template: "logistic_regression" },
    });
    const detail = await caller().models.byId({ projectId: project.projectId, modelId: model.id });
    expect(detail.versions).toMatchObject([{ id: version.id, aliases: ["candidate"] }]);
    expect(await auditFor(testDb.db(), `model:${model.id}`)).toMatchObject([{ action: "model.registered" }]);
  });

  test("an architecture that does not fit the spec, a template of the wrong kind and a duplicate name are refused with their reason and change nothing", async () => {
    const db = testDb.db();
    const spec = logisticModel("Bad one");
    const wrongOutput = buildTemplate("logistic_regression", { ...spec.spec, task: "regression" });
    const fields = await refusedWithoutChange(
      db,
      () =>
        caller().models.register({
          projectId: project.projectId,
          ...spec,
          spec: { ...spec.spec, architecture: { kind: "json", json: wrongOutput } },
        }),
      {
        code: "BAD_REQUEST",
        message: expect.stringContaining(
          "binary_classification needs an output of [null,1] with sigmoid or [null,2] with softmax; the model outputs [null,1] with linear activation",
        ),
      },
    );
    expect(fields?.["spec.architecture"]?.[0]).toContain("output:");
    const lambda = {
      class_name: "Sequential",
      config: { name: "x", layers: [{ class_name: "Lambda", config: { name: "l", function: "alert(1)" } }] },
    };
    await refusedWithoutChange(
      db,
      () =>
        caller().models.register({
          projectId: project.projectId,
          ...spec,
          spec: { ...spec.spec, architecture: { kind: "json", json: lambda } },
        }),
      {
        code: "BAD_REQUEST",
        message: expect.stringMatching(/Lambda/),
      },
    );
    await refusedWithoutChange(
      db,
      () =>
        caller().models.register({
          projectId: project.projectId,
          ...spec,
          spec: { ...spec.spec, architecture: { kind: "template", template: "small_cnn" } },
        }),
      {
        code: "BAD_REQUEST",
        message: "The small_cnn template needs image input; this model has tabular input",
      },
    );
    const taken = logisticModel("Taken");
    await caller().models.register({ projectId: project.projectId, ...taken });
    const duplicate = await refusedWithoutChange(
      db,
      () => caller().models.register({ projectId: project.projectId, ...taken }),
      { code: "CONFLICT" },
    );
    expect(duplicate).toEqual({
      "spec.name": ['This project already has a model called "Taken"; choose another name'],
    });
  });
});

describe("registering from a TF.js model", () => {
  test("a model.json with its weight files starts at version 1 with exactly those weights", async () => {
    const db = testDb.db();
    const upload = await tfjsUploadOf(db, project.projectId, project.versionId);
    const spec = logisticModel("Pretrained");
    const { model, version } = await caller().models.register({
      projectId: project.projectId,
      ...spec,
      spec: { ...spec.spec, architecture: { kind: "json", json: upload.modelJson } },
      weightFiles: upload.weightFiles,
    });
    expect(version).toMatchObject({
      number: 1,
      source: "import",
      lineage: { kind: "import", fileNames: ["group1-shard1of1.bin"] },
    });
    expect((await tfjsUploadOf(db, project.projectId, version.id)).weightFiles).toEqual(upload.weightFiles);
    expect(model.parameterCount).toBe(3);

    const template = logisticModel("Template with weights");
    await refusedWithoutChange(
      db,
      () => caller().models.register({ projectId: project.projectId, ...template, weightFiles: upload.weightFiles }),
      { code: "BAD_REQUEST" },
    );
    const nan = Buffer.from(upload.weightFiles["group1-shard1of1.bin"], "base64");
    nan.writeFloatLE(Number.POSITIVE_INFINITY, 4);
    const broken = logisticModel("Broken weights");
    await refusedWithoutChange(
      db,
      () =>
        caller().models.register({
          projectId: project.projectId,
          ...broken,
          spec: { ...broken.spec, architecture: { kind: "json", json: upload.modelJson } },
          weightFiles: { "group1-shard1of1.bin": nan.toString("base64") },
        }),
      {
        code: "BAD_REQUEST",
        message: expect.stringMatching(/^The uploaded weights are not usable: value 1 of .* is Infinity$/),
      },
    );
  });
});

describe("versions", () => {
  test("an imported TF.js model becomes the next version; weights that do not fit, are non-finite or truncated are refused", async () => {
    const db = testDb.db();
    const upload = await tfjsUploadOf(db, project.projectId, project.versionId);
    const version = await caller().models.importVersion({
      projectId: project.projectId,
      modelId: project.modelId,
      ...upload,
    });
    expect(version).toMatchObject({
      source: "import",
      lineage: { kind: "import", fileNames: ["group1-shard1of1.bin"] },
    });

    const bytes = Buffer.from(upload.weightFiles["group1-shard1of1.bin"], "base64");
    const nan = Buffer.from(bytes);
    nan.writeFloatLE(Number.NaN, 0);
    const importWith =
      (files: Record<string, string>, modelJson: unknown = upload.modelJson) =>
      () =>
        caller().models.importVersion({
          projectId: project.projectId,
          modelId: project.modelId,
          modelJson,
          weightFiles: files,
        });
    await refusedWithoutChange(db, importWith({ "group1-shard1of1.bin": nan.toString("base64") }), {
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^The uploaded weights are not usable: value 0 of .* is NaN$/),
    });
    await refusedWithoutChange(db, importWith({ "group1-shard1of1.bin": bytes.subarray(4).toString("base64") }), {
      code: "BAD_REQUEST",
      message: expect.stringContaining("truncated"),
    });
    await refusedWithoutChange(db, importWith({}), {
      code: "BAD_REQUEST",
      message: "model.json names weight file group1-shard1of1.bin; upload it too",
    });
    // A 12-byte file listed 1000 times would have made the hub assemble it 1000 times over.
    const group = upload.modelJson.weightsManifest[0]!;
    const repeated = {
      ...upload.modelJson,
      weightsManifest: [{ ...group, paths: Array.from({ length: 1000 }, () => group.paths[0]!) }],
    };
    await refusedWithoutChange(db, importWith(upload.weightFiles, repeated), {
      code: "BAD_REQUEST",
      message: `model.json lists weight file ${group.paths[0]!} more than once; each weight file belongs in one place`,
    });
    const huge = {
      ...upload.modelJson,
      weightsManifest: [
        { ...group, weights: [...group.weights, { name: "huge", shape: [1e6, 1e6], dtype: "float32" }] },
      ],
    };
    await refusedWithoutChange(db, importWith(upload.weightFiles, huge), {
      code: "BAD_REQUEST",
      message:
        "model.json describes more than 50000000 weight values; the registry accepts models up to 50000000 parameters",
    });
    const renamed = {
      ...upload.modelJson,
      weightsManifest: [
        {
          ...upload.modelJson.weightsManifest[0]!,
          weights: upload.modelJson.weightsManifest[0]!.weights.map((w) => ({ ...w, name: `other/${w.name}` })),
        },
      ],
    };
    await refusedWithoutChange(db, importWith(upload.weightFiles, renamed), {
      code: "BAD_REQUEST",
      message: expect.stringContaining("do not match the registered architecture: missing"),
    });
  });

  test("moving an alias is audited with where it pointed before; a viewer may read but not move it", async () => {
    const db = testDb.db();
    const { model, version } = await caller().models.register({
      projectId: project.projectId,
      ...logisticModel("Aliased"),
    });
    await caller().models.setAlias({ projectId: project.projectId, versionId: version.id, alias: "champion" });
    const upload = await tfjsUploadOf(db, project.projectId, version.id);
    const v2 = await caller().models.importVersion({ projectId: project.projectId, modelId: model.id, ...upload });
    await caller().models.setAlias({ projectId: project.projectId, versionId: v2.id, alias: "champion" });
    const events = await auditFor(db, `model:${model.id}`);
    expect(events.filter((e) => e.action === "model.alias_moved").map((e) => e.details)).toEqual([
      { alias: "champion", from: null, to: 1 },
      { alias: "champion", from: 1, to: 2 },
    ]);

    const viewer = await makeUser(db, [{ role: "researcher" }]);
    await db.insert(projectMembers).values({ projectId: project.projectId, userId: viewer.id, role: "viewer" });
    const asViewer = callerAs(db, await viewerOf(db, viewer.id));
    expect((await asViewer.models.list({ projectId: project.projectId })).length).toBeGreaterThan(0);
    await refusedWithoutChange(
      db,
      () => asViewer.models.setAlias({ projectId: project.projectId, versionId: version.id, alias: "candidate" }),
      { code: "FORBIDDEN", message: "Your role on this project (viewer) does not allow this." },
    );
    await expect(
      downloadModelVersion(db, await viewerOf(db, viewer.id), { projectId: project.projectId, versionId: version.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  test("a download is a zip that tf.loadLayersModel loads, with the model card, and is audited", async () => {
    const db = testDb.db();
    const { fileName, bytes } = await downloadModelVersion(db, researcher, {
      projectId: project.projectId,
      versionId: project.versionId,
    });
    expect(fileName).toMatch(/^risk-model-\d+-v1\.zip$/);
    const files = unzipTfjs(bytes);
    expect(Object.keys(files).sort()).toEqual(["model-card.md", "model.json", "weights.bin"]);
    const modelJson = JSON.parse(new TextDecoder().decode(files["model.json"]));
    const weights = files["weights.bin"]!;
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weights.slice().buffer,
      }),
    );
    expect(model.countParams()).toBe(3);
    expect(new TextDecoder().decode(files["model-card.md"])).toContain("## Approvals");
    const [version] = await db.select().from(modelVersions).where(eq(modelVersions.id, project.versionId));
    expect((await auditFor(db, `model:${version!.modelId}`)).at(-1)).toMatchObject({
      action: "model.downloaded",
      details: { version: 1 },
    });
  });

  test("the model card comes from the registry: purpose, approvals with the revision hash, limitations; Markdown export", async () => {
    await caller().models.updateLimitations({
      projectId: project.projectId,
      modelId: project.modelId,
      limitations: "Only two features.",
    });
    const card = await caller().models.card({ projectId: project.projectId, modelId: project.modelId });
    expect(card.project.purpose).toBe("Predict stroke from age and sex across sites, for the tests.");
    expect(card.approvals).toMatchObject({
      bundleHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      decisions: [{ status: "approved", decidedBy: expect.any(String) }],
    });
    expect(card.markdown).toContain(`SHA-256 \`${card.approvals.bundleHash}\``);
    expect(card.markdown).toContain("## Limitations\n\nOnly two features.");
    expect(card.markdown).toContain(
      "Predicts **Stroke** from Tabular: age (demographic, standardise), sex (demographic, binary).",
    );
  });
});
