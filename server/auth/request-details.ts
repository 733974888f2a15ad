import { headers } from "next/headers";
import { clientIp } from "./client-ip";

/**
 * The browser and address a sign-in came from, for the user's session list. Outside a request
 * (a script, a test) there are none.
 */
export async function signInRequestDetails(): Promise<{ userAgent: string | null; ipAddress: string | null }> {
  try {
    const list = await headers();
    return { userAgent: list.get("user-agent"), ipAddress: clientIp(list) };
  } catch {
    return { userAgent: null, ipAddress: null };
  }
}
