import { beforeAll, describe, expect, it } from "vitest";
import { createTrainJob } from "@/server/jobs/jobs.service";
import { eq } from "drizzle-orm";
import { projectInvitations } from "@/db/schema";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { callerAs, snapshotTables } from "@/server/lib/test-support/fixtures";
import { inviteMember } from "@/server/projects/invitations.service";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { trainJobInput } from "@/server/lib/test-support/training-fixtures";
import { downloadModelVersion } from "@/server/models/model-download";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { leaseNextTask } from "@/server/tasks/leasing";
import { receiveUpdate, serveWeights } from "@/server/worker/binary-routes";
import { LEASE_HEADER } from "@/protocol/training";
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from "@/protocol/contract";
import { NOT_A_RESEARCHER } from "./authorization.matrix";
import { ACTORS, buildWorld, evaluationJob, type ActorName, type World } from "./authorization.world";

/**
 * The routes outside tRPC, in the same world as the procedure matrix: the model download (a
 * person's session) and the binary worker routes (a site token only).
 */
const testDb = useTestDatabase();
let world: World;
beforeAll(async () => {
  world = await buildWorld(testDb.db());
});

const NOT_FOUND = { code: "NOT_FOUND", message: "No project with that id, or you are not a member of it." };
const DOWNLOAD: Partial<Record<ActorName, "allowed" | { code: string; message: string }>> = {
  researcher: "allowed",
  projectMember: "allowed",
  projectViewer: {
    code: "FORBIDDEN",
    message: "Your role on this project (viewer) does not allow downloading models.",
  },
  formerResearcher: { code: "FORBIDDEN", message: NOT_A_RESEARCHER },
};

describe("GET /api/projects/<p>/model-versions/<v>/download", () => {
  // Signed out never reaches the service: the route answers 401 when getViewer() is null.
  for (const actor of ACTORS.filter((a) => a !== "signedOut")) {
    const expected = DOWNLOAD[actor] ?? NOT_FOUND;
    it(expected === "allowed" ? `allows ${actor}` : `refuses ${actor} and changes nothing`, async () => {
      const call = () => downloadModelVersion(world.db, world.viewers[actor]!, world.training);
      if (expected === "allowed") {
        expect((await call()).bytes.byteLength).toBeGreaterThan(0);
        return;
      }
      const before = await snapshotTables(world.db);
      await expect(call()).rejects.toMatchObject(expected);
      expect(await snapshotTables(world.db)).toEqual(before);
    });
  }

  it("refuses project A's id with project B's version, and changes nothing", async () => {
    const before = await snapshotTables(world.db);
    await expect(
      downloadModelVersion(world.db, world.viewers.researcher!, {
        projectId: world.training.projectId,
        versionId: world.outsider.training.versionId,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await snapshotTables(world.db)).toEqual(before);
  });
});

describe("the binary worker routes", () => {
  let leased: { taskId: string; leaseId: string };
  let siteBToken: string;
  beforeAll(async () => {
    await createTrainJob(
      world.db,
      world.viewers.researcher!,
      trainJobInput(world.training, [world.siteA.id, world.siteB.id]),
    );
    const task = await leaseNextTask(world.db, world.siteA);
    leased = { taskId: task!.taskId, leaseId: task!.leaseId };
    siteBToken = (
      await issueSiteToken(world.db, { type: "system", label: "matrix" }, { siteId: world.siteB.id, graceSeconds: 0 })
    ).token;
  });

  const weights = (headers: Record<string, string>) =>
    serveWeights(
      world.db,
      new Request(`http://hub/api/worker/tasks/${leased.taskId}/weights`, {
        headers: { [LEASE_HEADER]: leased.leaseId, ...headers },
      }),
      leased.taskId,
    );
  const update = (headers: Record<string, string>) =>
    receiveUpdate(
      world.db,
      new Request(`http://hub/api/worker/tasks/${leased.taskId}/update`, {
        method: "POST",
        headers: { [LEASE_HEADER]: leased.leaseId, "content-type": "application/octet-stream", ...headers },
        body: new Uint8Array(16),
      }),
      leased.taskId,
    );

  it("refuses a person (a session cookie is no site token), and changes nothing", async () => {
    const before = await snapshotTables(world.db);
    for (const call of [weights, update]) {
      const response = await call({ cookie: "next-auth.session-token=anything" });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: { code: "UNAUTHORIZED", message: "Send the site token as 'Authorization: Bearer <token>'." },
      });
    }
    expect(await snapshotTables(world.db)).toEqual(before);
  });

  it("refuses site B's token with site A's task and lease, and changes nothing", async () => {
    const before = await snapshotTables(world.db);
    for (const call of [weights, update]) {
      const response = await call({
        authorization: `Bearer ${siteBToken}`,
        [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { code: "NOT_FOUND", message: `No task ${leased.taskId} belongs to site ${world.siteB.code}.` },
      });
    }
    // Only the token's last use is recorded: it did authenticate, as site B.
    const { site_tokens: _tokens, ...after } = await snapshotTables(world.db);
    const { site_tokens: _before, ...rest } = before;
    expect(after).toEqual(rest);
  });
});

describe("project A's id with project B's object", () => {
  const A = () => world.training.projectId;
  const B = () => world.outsider.training;
  const me = () => callerAs(world.db, world.viewers.researcher);
  /** Each call: make project B's object first (as B's owner), then use it under project A's id. */
  const CALLS: Record<string, () => Promise<() => Promise<unknown>>> = {
    "models.byId": async () => () => me().models.byId({ projectId: A(), modelId: B().modelId }),
    "models.version": async () => () => me().models.version({ projectId: A(), versionId: B().versionId }),
    "models.card": async () => () => me().models.card({ projectId: A(), modelId: B().modelId }),
    "models.setAlias": async () => () =>
      me().models.setAlias({ projectId: A(), versionId: B().versionId, alias: "champion" }),
    "models.clearAlias": async () => () =>
      me().models.clearAlias({ projectId: A(), modelId: B().modelId, alias: "candidate" }),
    "models.updateLimitations": async () => () =>
      me().models.updateLimitations({ projectId: A(), modelId: B().modelId, limitations: "Forged" }),
    "jobs.train": async () => () =>
      me().jobs.train(trainJobInput({ ...B(), projectId: A() }, [world.siteA.id, world.siteB.id])),
    "jobs.evaluate": async () => () =>
      me().jobs.evaluate({
        projectId: A(),
        versionId: B().versionId,
        siteIds: [world.siteA.id],
        validationFraction: 0.2,
      }),
    "jobs.byId": async () => {
      const job = await evaluationJob(world, B(), world.outsider.viewer);
      return () => me().jobs.byId({ projectId: A(), jobId: job.id });
    },
    "jobs.cancel": async () => {
      const job = await evaluationJob(world, B(), world.outsider.viewer);
      return () => me().jobs.cancel({ projectId: A(), jobId: job.id });
    },
    "cohorts.result": async () => {
      const run = await runCohort(world.db, world.outsider.viewer, {
        projectId: B().projectId,
        purpose: "feasibility",
        siteIds: [world.siteB.id],
      });
      return () => me().cohorts.result({ projectId: A(), runId: run.id });
    },
    "projects.removeMember": async () => () =>
      me().projects.removeMember({ projectId: A(), userId: world.outsider.viewer.id }),
    "projects.cancelInvitation": async () => {
      await inviteMember(world.db, world.outsider.viewer, {
        projectId: B().projectId,
        email: `invited-${Date.now()}@nhs.net`,
        role: "viewer",
      });
      const [invitation] = await world.db
        .select({ id: projectInvitations.id })
        .from(projectInvitations)
        .where(eq(projectInvitations.projectId, B().projectId));
      return () => me().projects.cancelInvitation({ projectId: A(), invitationId: invitation!.id });
    },
  };

  for (const [path, prepare] of Object.entries(CALLS))
    it(`${path} says not found and changes nothing`, async () => {
      const call = await prepare();
      const before = await snapshotTables(world.db);
      await expect(call()).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(await snapshotTables(world.db)).toEqual(before);
    });
});
