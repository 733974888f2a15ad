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
    // Client code reaches the server only through tRPC; it may import server modules for types alone,
    // except `*.schema` modules, which hold zod only so forms check exactly what the server will (CONVENTIONS 6).
    files: ["app/**/*.ts", "app/**/*.tsx"],
    ignores: [
      "app/**/layout.tsx",
      "app/**/page.tsx",
      "app/**/route.ts",
      "app/_components/app-shell.tsx",
      "app/_components/navigation.ts",
    ],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^@/(db|server)/(?!.*\\.schema$)",
              allowTypeImports: true,
              message: "Client components may import server code as types only.",
            },
          ],
        },
      ],
    },
  },
);
