/**
 * The portal's production server (`npm start`, and what the demo, the end-to-end tests and the
 * benchmarks run): Node's http server in front of the Next.js build. tRPC calls, every page's data
 * and every site worker's heartbeat and claim, are answered by the fast path before Next routes
 * them (server/http/api-fast-path.ts); pages and the other routes are Next's, as under `next start`,
 * and browsers' requests take their turn in the browser line (server/http/browser-call-slots.ts).
 *
 *   node server/cli/portal-server.mjs [-p <port>] [-H <hostname>]
 *
 * Plain JavaScript, run by node itself: the fast path comes from Next's own server bundle, where
 * instrumentation.ts registers it, so nothing here needs compiling. Settings are read and checked
 * there too (server/config.ts); a bad one stops the process with exit code 2 before it listens.
 */
// First, as in Next's own server: globals (AsyncLocalStorage among them) that its modules expect at load.
import "next/dist/server/node-environment.js";
import http from "node:http";
import { parseArgs } from "node:util";
import next from "next";
import { ensureInstrumentationRegistered } from "next/dist/server/lib/router-utils/instrumentation-globals.external.js";

const { values } = parseArgs({
  options: { port: { type: "string", short: "p", default: "3000" }, hostname: { type: "string", short: "H" } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`--port must be a TCP port (1-65535), not ${JSON.stringify(values.port)}.`);
  process.exit(2);
}

const dir = process.cwd();
const app = next({ dev: false, dir, port, hostname: values.hostname });
await app.prepare();
// Next would run instrumentation.ts's register() on the first request it serves; the fast path it
// registers must be there before the first request this server takes.
await ensureInstrumentationRegistered(dir, ".next");
const serveRequest = globalThis[Symbol.for("flip.serveRequest")];
if (typeof serveRequest !== "function") {
  console.error("instrumentation.ts registered no request handler: is .next a build of this checkout?");
  process.exit(1);
}
const handle = app.getRequestHandler();

const server = http.createServer((req, res) => serveRequest(req, res, () => void handle(req, res)));
// An idle connection is kept past the longest worker heartbeat interval (60 s) and a load balancer's
// usual idle timeout (60 s): a site worker then reuses its connection rather than opening one (and a
// TLS session) per heartbeat, and a balancer never sends a request down a connection just closed here.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

let isClosing = false;
/** As `next start`: stop taking connections, let requests in flight finish, then exit as the signal asks. */
function close(signal) {
  if (isClosing) return;
  isClosing = true;
  server.close(() => void app.close().finally(() => process.exit(signal === "SIGINT" ? 130 : 143)));
}
process.on("SIGINT", close);
process.on("SIGTERM", close);

server.listen(port, values.hostname, () => {
  console.log(`FLIP portal listening on http://${values.hostname ?? "localhost"}:${port}`);
});
