import type { Role } from "@/db/schema";

type GrantSummary = { role: Role; siteCode: string | null };

declare module "next-auth" {
  interface Session {
    user: { id: string; name?: string | null; email?: string | null; grants: GrantSummary[] };
    signedInAt: number;
    active: boolean;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    signedInAt?: number;
    refreshedAt?: number;
    active?: boolean;
    mustChangePassword?: boolean;
    grants?: GrantSummary[];
  }
}
