import { connectDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { roleGrants, users } from "@/db/schema";
import { hashPassword } from "@/server/auth/password";
import { E2E_DATABASE, E2E_PASSWORD, e2eAdminUrl } from "./constants";

/** The journeys' database, for seeding their own accounts and checking what a journey left behind. */
export async function withE2eDatabase<T>(use: (db: ReturnType<typeof connectDatabase>["db"]) => Promise<T>) {
  const { db, pool } = connectDatabase(withDatabase(e2eAdminUrl(), E2E_DATABASE));
  try {
    return await use(db);
  } finally {
    await pool.end();
  }
}

/** A researcher of its own (the demo accounts stay as other journeys expect them), password E2E_PASSWORD. */
export async function makeE2eResearcher(name: string) {
  const email = `${name}.${Date.now()}@e2e.flip`;
  const passwordHash = await hashPassword(E2E_PASSWORD);
  return withE2eDatabase(async (db) => {
    const [user] = await db
      .insert(users)
      .values({ email, name: `E2E ${name}`, passwordHash })
      .returning({ id: users.id, email: users.email });
    await db.insert(roleGrants).values({ userId: user!.id, role: "researcher" });
    return user!;
  });
}
