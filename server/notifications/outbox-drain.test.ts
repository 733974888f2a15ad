import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailOutbox, siteApprovals, users } from "@/db/schema";
import { callerAs, makeSite, makeUser, refusedWithoutChange, viewerOf } from "@/server/lib/test-support/fixtures";
import { startSmtpSink } from "@/server/lib/test-support/smtp-sink";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import { initialBundle } from "@/server/projects/bundle";
import { createMailer, type Mailer } from "./mailer";
import { drainOutbox } from "./outbox-drain";

const testDb = useTestDatabase();
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let mailer: Mailer;

beforeAll(async () => {
  smtp = await startSmtpSink();
  mailer = createMailer({ smtpUrl: smtp.url, from: "flip-portal@test.nhs.uk" });
});
afterAll(async () => {
  mailer.close();
  await smtp.close();
});

const HOUR = 60 * 60 * 1000;
const PURPOSE = "Count stroke admissions with a CT scan across sites, for the tests.";

/** A site with two approvers, another site with one, and a researcher with a project ready to submit. */
async function scene() {
  const db = testDb.db();
  smtp.received.length = 0;
  smtp.refuse(() => false);
  await db.delete(emailOutbox).where(sql`true`);
  const [siteA, siteB] = [await makeSite(db), await makeSite(db)];
  const approver = async (siteId: string) => viewerOf(db, (await makeUser(db, [{ role: "approver", siteId }])).id);
  const [first, second, atB] = [await approver(siteA.id), await approver(siteA.id), await approver(siteB.id)];
  const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const asResearcher = callerAs(db, researcher);
  const newProject = async (title: string) => {
    const project = await asResearcher.projects.create({ title, purpose: PURPOSE });
    await asResearcher.projects.updateBundle({
      projectId: project.id,
      bundle: {
        ...initialBundle(PURPOSE),
        cohort: ZCohortDefinition.parse({
          version: 1,
          entry: { type: "condition", concepts: [{ conceptId: 443454 }] },
          inclusionRules: [],
        }),
      },
    });
    return project.id;
  };
  return { db, siteA, siteB, first, second, atB, asResearcher, newProject };
}

describe("e-mail to a site's approvers, through a real SMTP server", () => {
  it("a new request reaches each of the site's approvers once the change has committed, with a link to decide", async () => {
    const s = await scene();
    const projectId = await s.newProject("Stroke imaging audit");
    await s.asResearcher.projects.submit({ projectId, siteIds: [s.siteA.id] });
    // Queued in the submission's transaction; nothing is sent until the outbox is drained.
    expect(smtp.received).toEqual([]);

    expect(await drainOutbox(s.db, mailer)).toEqual({ sent: 2 });

    const [approval] = await s.db.select().from(siteApprovals).where(eq(siteApprovals.siteId, s.siteA.id));
    expect(smtp.received.map((m) => m.to).sort()).toEqual([[s.first.email], [s.second.email]].sort());
    for (const mail of smtp.received) {
      expect(mail.from).toBe("flip-portal@test.nhs.uk");
      expect(mail.subject).toBe(`[FLIP] ${s.siteA.code}: approval requested for "Stroke imaging audit" (revision 2)`);
      expect(mail.text).toContain(`/approvals/${s.siteA.id}/${approval!.id}`);
    }
    const rows = await s.db.select().from(emailOutbox);
    expect(rows.map((r) => r.status)).toEqual(["sent", "sent"]);
    // Drained mail is not sent again.
    expect(await drainOutbox(s.db, mailer)).toEqual({ sent: 0 });
    expect(smtp.received).toHaveLength(2);
  });

  it("a person on the daily digest gets one message a day holding everything that waited", async () => {
    const s = await scene();
    await callerAs(s.db, s.second).notifications.setEmailMode({ emailMode: "daily_digest" });
    for (const title of ["Digest project one", "Digest project two"])
      await s.asResearcher.projects.submit({ projectId: await s.newProject(title), siteIds: [s.siteA.id] });
    const start = new Date();

    await drainOutbox(s.db, mailer, start);
    expect(smtp.received.map((m) => m.to)).toEqual([[s.first.email], [s.first.email]]);

    await drainOutbox(s.db, mailer, new Date(start.getTime() + 23 * HOUR));
    expect(smtp.received).toHaveLength(2);

    await drainOutbox(s.db, mailer, new Date(start.getTime() + 25 * HOUR));
    const digest = smtp.received.slice(2);
    expect(digest.map((m) => [m.to, m.subject])).toEqual([[[s.second.email], "[FLIP] Daily digest: 2 notice(s)"]]);
    expect(digest[0]!.text).toContain('"Digest project one"');
    expect(digest[0]!.text).toContain('"Digest project two"');
    expect(await callerAs(s.db, s.second).notifications.settings()).toMatchObject({ emailMode: "daily_digest" });
  });

  it("a mail server that refuses keeps the mail in the outbox and tries again later; nothing else is held up", async () => {
    const s = await scene();
    smtp.refuse((address) => address === s.first.email);
    await s.asResearcher.projects.submit({ projectId: await s.newProject("Refused once"), siteIds: [s.siteA.id] });
    const now = new Date();

    expect(await drainOutbox(s.db, mailer, now)).toEqual({ sent: 1 });
    expect(smtp.received.map((m) => m.to)).toEqual([[s.second.email]]);
    const [held] = await s.db
      .select()
      .from(emailOutbox)
      .innerJoin(users, eq(users.id, emailOutbox.userId))
      .where(eq(users.id, s.first.id));
    expect(held!.email_outbox).toMatchObject({ status: "pending", attempts: 1, lastError: "EENVELOPE SMTP 550" });
    expect(held!.email_outbox.nextAttemptAt.getTime()).toBeGreaterThan(now.getTime());

    smtp.refuse(() => false);
    expect(await drainOutbox(s.db, mailer, now)).toEqual({ sent: 0 });
    expect(await drainOutbox(s.db, mailer, new Date(now.getTime() + 2 * 60_000))).toEqual({ sent: 1 });
    expect(smtp.received.map((m) => m.to)).toEqual([[s.second.email], [s.first.email]]);
  });

  it("a change that is refused queues no mail", async () => {
    const s = await scene();
    const projectId = await s.newProject("Never submitted");
    await refusedWithoutChange(
      s.db,
      () =>
        s.asResearcher.projects.submit({ projectId, siteIds: [s.siteA.id, "00000000-0000-4000-8000-00000000dead"] }),
      { code: "NOT_FOUND" },
    );
    expect(await drainOutbox(s.db, mailer)).toEqual({ sent: 0 });
  });

  it("refuses an unknown e-mail mode with a message the form can show, changing nothing", async () => {
    const s = await scene();
    const fieldErrors = await refusedWithoutChange(
      s.db,
      () => callerAs(s.db, s.first).notifications.setEmailMode({ emailMode: "weekly" as "daily_digest" }),
      { code: "BAD_REQUEST" },
    );
    expect(fieldErrors?.emailMode).toEqual(["Choose immediate e-mails or a daily digest"]);
  });
});
