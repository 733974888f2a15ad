import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A real PACS for tests: Orthanc with its DICOMweb plugin (Debian packages `orthanc` and
 * `orthanc-dicomweb`), started on a free loopback port with its own configuration and storage
 * folder, and removed afterwards. Tests that need it skip where it is not installed.
 */
const ORTHANC = "/usr/sbin/Orthanc";
const DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

export const isOrthancInstalled = existsSync(ORTHANC) && existsSync(DICOMWEB_PLUGIN);

export type OrthancOptions = { users?: Record<string, string> };

export type RunningOrthanc = { url: string; dicomwebUrl: string; stop: () => Promise<void> };

export async function startOrthanc(options: OrthancOptions = {}): Promise<RunningOrthanc> {
  const dir = mkdtempSync(path.join(tmpdir(), "flip-orthanc-"));
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const config: Record<string, unknown> = {
    Name: "FLIP test PACS",
    StorageDirectory: path.join(dir, "storage"),
    IndexDirectory: path.join(dir, "storage"),
    HttpPort: httpPort,
    DicomServerEnabled: false,
    DicomPort: dicomPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: options.users !== undefined,
    RegisteredUsers: options.users ?? {},
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: "/dicom-web/" },
    StableAge: 1,
  };
  writeFileSync(path.join(dir, "orthanc.json"), JSON.stringify(config));
  const child = spawn(ORTHANC, [path.join(dir, "orthanc.json")], { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!/Orthanc has started/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`Orthanc did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = `http://127.0.0.1:${httpPort}`;
  return {
    url,
    dicomwebUrl: `${url}/dicom-web/`,
    stop: async () => {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
