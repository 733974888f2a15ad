import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { z } from "zod";
import { CODECS } from "../imaging/codecs";

/**
 * `npm run worker:build [-- <out dir>]`: the site worker as a folder Trust IT can install without
 * this repository: one ESM file with every JavaScript dependency inside, the TF.js wasm binaries it
 * loads at run time, a minimal package.json (only the optional native GPU backend), the systemd
 * unit, an example environment file and a README. Runs with plain `node` 22.17+ or 24.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];
/** Native modules: loaded only when installed beside the bundle (`npm install` in the folder). */
const EXTERNAL = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node", "pg-native"];
// Bundled CommonJS code calls require() and reads __dirname; an ESM file has neither.
const BANNER = [
  `import { createRequire as flipCreateRequire } from "node:module";`,
  `import { fileURLToPath as flipFileURLToPath } from "node:url";`,
  `import { dirname as flipDirname } from "node:path";`,
  `const require = flipCreateRequire(import.meta.url);`,
  `const __filename = flipFileURLToPath(import.meta.url);`,
  `const __dirname = flipDirname(__filename);`,
].join("\n");

const ZManifest = z.object({
  version: z.string(),
  engines: z.object({ node: z.string() }),
  optionalDependencies: z.record(z.string(), z.string()),
});

async function main() {
  const outDir = path.resolve(process.argv[2] ?? path.join(ROOT, ".data", "flip-worker"));
  const manifest = ZManifest.parse(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, "bin"), { recursive: true });
  mkdirSync(path.join(outDir, "wasm"));

  await build({
    entryPoints: [path.join(ROOT, "workers", "main.ts")],
    outfile: path.join(outDir, "bin", "flip-worker.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    tsconfig: path.join(ROOT, "tsconfig.json"),
    external: EXTERNAL,
    banner: { js: BANNER },
    legalComments: "eof",
    logLevel: "warning",
  });

  const wasmDist = path.dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"));
  for (const file of WASM_FILES) copyFileSync(path.join(wasmDist, file), path.join(outDir, "wasm", file));
  // The DICOM image codecs (workers/imaging/codecs.ts) load from codecs/, each script with its .wasm.
  mkdirSync(path.join(outDir, "codecs"));
  for (const codec of Object.values(CODECS)) {
    const script = codec.resolve();
    copyFileSync(script, path.join(outDir, "codecs", `${codec.file}.cjs`));
    copyFileSync(
      path.join(path.dirname(script), `${codec.file}.wasm`),
      path.join(outDir, "codecs", `${codec.file}.wasm`),
    );
  }

  // main.ts reads the worker version from ../package.json, relative to bin/.
  const packageJson = {
    name: "flip-worker",
    version: manifest.version,
    private: true,
    type: "module",
    description: "FLIP site worker (self-contained build)",
    engines: manifest.engines,
    bin: { "flip-worker": "bin/flip-worker.mjs" },
    optionalDependencies: Object.fromEntries(
      Object.entries(manifest.optionalDependencies).filter(([name]) => EXTERNAL.includes(name)),
    ),
  };
  writeFileSync(path.join(outDir, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  copyFileSync(path.join(HERE, "README.md"), path.join(outDir, "README.md"));
  copyFileSync(path.join(HERE, "flip-worker.service"), path.join(outDir, "flip-worker.service"));
  copyFileSync(path.join(HERE, "flip-worker.env.example"), path.join(outDir, "flip-worker.env.example"));
  process.stdout.write(`flip-worker ${manifest.version} built in ${outDir}\n`);
}

await main();
