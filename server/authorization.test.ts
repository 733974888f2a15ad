import { beforeAll, describe, expect, it } from "vitest";
import { callerAs, makeUser, snapshotTables, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import {
  ENROL_FIRST,
  MATRIX,
  SET_PASSWORD_FIRST,
  SIGN_IN_FIRST,
  STEP_UP_REQUIRED,
  VERIFY_FIRST,
} from "./authorization.matrix";
import {
  ACTORS,
  buildWorld,
  currentViewer,
  type ActorName,
  type ProcedurePath,
  type World,
} from "./authorization.world";
import { appRouter } from "./root";

const testDb = useTestDatabase();

type Caller = ReturnType<typeof callerAs>;

function callProcedure(caller: Caller, path: ProcedurePath, input: unknown): Promise<unknown> {
  const [router, name] = path.split(".") as [string, string];
  const procedures = (caller as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>)[
    router
  ];
  return procedures![name]!(input);
}

function expectedRefusal(path: ProcedurePath, actor: ActorName) {
  const { everyoneRefusedWith } = MATRIX[path];
  if (everyoneRefusedWith) return everyoneRefusedWith;
  if (actor === "signedOut") return { code: "UNAUTHORIZED", message: SIGN_IN_FIRST };
  if (actor === "factorPending") return { code: "FORBIDDEN", message: VERIFY_FIRST };
  if (actor === "temporaryPassword") return { code: "FORBIDDEN", message: SET_PASSWORD_FIRST };
  const own = MATRIX[path].refusals?.[actor];
  if (own) return own;
  if (actor === "factorMissing") return { code: "FORBIDDEN", message: ENROL_FIRST };
  return { code: MATRIX[path].refusalCode ?? "FORBIDDEN", message: MATRIX[path].refusal };
}

// One world for the file: no refused call may change it, and allowed calls act on fresh targets.
let world: World;
beforeAll(async () => {
  world = await buildWorld(testDb.db());
});

describe("authorisation matrix", () => {
  it("has exactly one row for every procedure in appRouter", () => {
    expect(Object.keys(MATRIX).sort()).toEqual(Object.keys(appRouter._def.procedures).sort());
  });

  for (const path of Object.keys(MATRIX) as ProcedurePath[]) {
    const row = MATRIX[path];
    describe(path, () => {
      for (const actor of ACTORS) {
        if (row.allowed.includes(actor)) {
          it(`allows ${actor}`, async () => {
            const viewer = await currentViewer(world, actor);
            const input = await row.input(world, actor, viewer);
            // Resolving is the assertion: a refusal would reject and fail this test.
            await callProcedure(callerAs(world.db, viewer), path, input);
          });
        } else {
          it(`refuses ${actor} and changes nothing`, async () => {
            const input = await row.input(world, actor, world.viewers[actor]);
            const before = await snapshotTables(world.db);
            await expect(callProcedure(callerAs(world.db, world.viewers[actor]), path, input)).rejects.toMatchObject(
              expectedRefusal(path, actor),
            );
            expect(await snapshotTables(world.db)).toEqual(before);
          });
        }
      }
    });
  }
});

describe("step-up: a second factor within the last 5 minutes", () => {
  const stepUpRows = (Object.keys(MATRIX) as ProcedurePath[]).filter((path) => MATRIX[path].stepUp);

  it("guards approval decisions, site tokens, role grants and factor changes", () => {
    expect(stepUpRows.sort()).toEqual([
      "approvals.decide",
      "factors.regenerateRecoveryCodes",
      "factors.remove",
      "siteNetwork.issueToken",
      "siteNetwork.revokeTokens",
      "users.confirmGrant",
      "users.grantRole",
      "users.resetFactors",
    ]);
  });

  for (const path of stepUpRows) {
    const actor = MATRIX[path].allowed[0]!;
    it(`${path}: refuses ${actor} whose factor is 6 minutes old, and changes nothing`, async () => {
      const viewer = await currentViewer(world, actor, 6);
      const input = await MATRIX[path].input(world, actor, viewer);
      const before = await snapshotTables(world.db);
      const call = callProcedure(callerAs(world.db, viewer), path, input);
      await expect(call).rejects.toMatchObject({ code: "PRECONDITION_FAILED", message: STEP_UP_REQUIRED });
      expect(await snapshotTables(world.db)).toEqual(before);
    });
    it(`${path}: allows ${actor} whose factor is 4 minutes old`, async () => {
      const viewer = await currentViewer(world, actor, 4);
      const input = await MATRIX[path].input(world, actor, viewer);
      await callProcedure(callerAs(world.db, viewer), path, input);
    });
  }
});

describe("site-scoped access", () => {
  it("lets an approver read their own site but not another's", async () => {
    const approverB = callerAs(world.db, world.viewers.approverB);
    await expect(approverB.approvals.site({ siteId: world.siteB.id })).resolves.toMatchObject({
      id: world.siteB.id,
      code: world.siteB.code,
    });
    await expect(approverB.approvals.site({ siteId: world.siteA.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("lists only the sites the viewer approves for", async () => {
    const approverA = callerAs(world.db, world.viewers.approverA);
    expect(await approverA.approvals.mySites()).toEqual([
      { siteId: world.siteA.id, code: world.siteA.code, name: world.siteA.name },
    ]);
    expect(await callerAs(world.db, world.viewers.admin).approvals.mySites()).toEqual([]);
    expect(await callerAs(world.db, world.viewers.researcher).approvals.mySites()).toEqual([]);
  });

  it("gives an approver of two sites both, and nothing more", async () => {
    const both = await makeUser(world.db, [
      { role: "approver", siteId: world.siteA.id },
      { role: "approver", siteId: world.siteB.id },
    ]);
    const caller = callerAs(world.db, await viewerOf(world.db, both.id));
    await expect(caller.approvals.site({ siteId: world.siteA.id })).resolves.toMatchObject({ id: world.siteA.id });
    await expect(caller.approvals.site({ siteId: world.siteB.id })).resolves.toMatchObject({ id: world.siteB.id });
    await expect(caller.sites.list()).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "Only platform admins can do this.",
    });
  });
});
