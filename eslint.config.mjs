import js from "@eslint/js";
import drizzle from "eslint-plugin-drizzle";
import tseslint from "typescript-eslint";

const drizzleObjects = { drizzleObjectName: ["db", "tx"] };

export default tseslint.config(
  { ignores: [".next/**", ".data/**", "node_modules/**", "test-results/**", "playwright-report/**", "next-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { drizzle },
    rules: {
      "drizzle/enforce-delete-with-where": ["error", drizzleObjects],
      "drizzle/enforce-update-with-where": ["error", drizzleObjects],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "off",
    },
  },
  {
    // Plain JavaScript that node runs as it is (the portal server): Node's globals.
    files: ["**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  ...importBoundaries(),
);

/**
 * The layout's import boundaries. protocol/ is the hub-site-browser contract and imports no other
 * folder; db/ imports only the contract; the site worker reaches the hub only over HTTP (the router is
 * imported as a type for the tRPC client); the hub never imports the worker or its demo data generator,
 * except the demo launcher in server/cli, which provisions and starts the demo sites. Tests and their
 * support code may cross boundaries to set up real hubs and workers.
 */
function importBoundaries() {
  const tests = [
    "**/*.test.ts",
    "**/test-support/**",
    "server/authorization.matrix.ts",
    "server/authorization.world.ts",
    "server/authorization.account-rows.ts",
  ];
  const folder = (name, message) => [
    { regex: `^@/${name}(/|$)`, message },
    { regex: `^(\\.\\./)+${name}(/|$)`, message },
  ];
  // Test support (fixtures, `asReleased`, hub and worker harnesses) never reaches production code.
  const noTestSupport = {
    regex: "(^|/)test-support(/|$)",
    message: "Production code never imports test support.",
  };
  const rule = (patterns) => ({
    "@typescript-eslint/no-restricted-imports": ["error", { patterns: [...patterns, noTestSupport] }],
  });
  const noWorkers = folder(
    "workers",
    "The hub reaches site workers only through the task queue; shared code lives in protocol/.",
  );
  const noApp = folder("app", "Only Next.js imports app/.");
  return [
    {
      files: ["protocol/**/*.ts"],
      ignores: tests,
      rules: rule(
        ["server", "db", "workers", "app"].flatMap((name) =>
          folder(name, "protocol/ is the contract: it imports no other folder."),
        ),
      ),
    },
    {
      files: ["db/**/*.ts"],
      ignores: tests,
      rules: rule(["server", "workers", "app"].flatMap((name) => folder(name, "db/ imports only protocol/."))),
    },
    {
      files: ["workers/**/*.ts"],
      ignores: tests,
      rules: rule([
        { regex: "^@/server/root$", allowTypeImports: true, message: "The worker imports the router as a type only." },
        { regex: "^@/server/(?!root$)", message: "The worker never imports hub code; shared code lives in protocol/." },
        {
          regex: "^(\\.\\./)+server(/|$)",
          message: "The worker never imports hub code; shared code lives in protocol/.",
        },
        ...noApp,
      ]),
    },
    {
      files: ["server/**/*.ts", "instrumentation.ts"],
      ignores: [...tests, "server/cli/**"],
      rules: rule([...noWorkers, ...noApp]),
    },
    {
      files: ["server/cli/**/*.ts"],
      ignores: tests,
      rules: rule([
        {
          regex: "^@/workers/(?!site-data/)",
          message: "The demo launcher may use the demo data generator (workers/site-data) only.",
        },
        ...noApp,
      ]),
    },
    {
      // Server components, layouts and route handlers run on the server and may call server code.
      files: [
        "app/**/layout.tsx",
        "app/**/page.tsx",
        "app/**/route.ts",
        "app/_components/app-shell.tsx",
        "app/_components/navigation.ts",
      ],
      rules: rule(noWorkers),
    },
    {
      // Client code reaches the server only through tRPC: server modules as types alone, except
      // `*.schema` modules, which hold zod only so forms check exactly what the server will.
      files: ["app/**/*.ts", "app/**/*.tsx"],
      ignores: [
        "app/**/layout.tsx",
        "app/**/page.tsx",
        "app/**/route.ts",
        "app/_components/app-shell.tsx",
        "app/_components/navigation.ts",
      ],
      rules: rule([
        {
          regex: "^@/(db|server)/(?!.*\\.schema$)",
          allowTypeImports: true,
          message: "Client components may import server code as types only.",
        },
        ...noWorkers,
      ]),
    },
  ];
}
