import type { Role } from "@/db/schema";

type GrantSummary = { role: Role; siteCode: string | null };

declare module "next-auth" {
  interface Session {
    user: { id: string; name?: string | null; email?: string | null; grants: GrantSummary[] };
    signedInAt: number;
    /** The user_sessions row this browser's cookie stands for. */
    sessionId: string;
    active: boolean;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    signedInAt?: number;
    sid?: string;
    refreshedAt?: number;
    active?: boolean;
    mustChangePassword?: boolean;
    grants?: GrantSummary[];
  }
}
