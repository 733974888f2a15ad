import type { Metadata } from "next";
import { BackLink } from "@/app/_components/ui/back-link";
import { PageHeader } from "@/app/_components/ui/page-header";
import { AuthenticatorApps } from "./authenticator-apps";

export const metadata: Metadata = { title: "Account security" };

/**
 * The viewer's own second factors. One section per kind of factor: authenticator apps (with the
 * recovery codes) here; passkeys add their own section beside it.
 */
export default function AccountSecurityPage() {
  return (
    <>
      <BackLink href="/account">Your account</BackLink>
      <PageHeader
        title="Account security"
        description="Your second factors: what you use, besides your password, to sign in and to confirm sensitive actions."
      />
      <div className="space-y-6">
        <AuthenticatorApps />
        {/* Passkeys: <PasskeysSection /> goes here. */}
      </div>
    </>
  );
}
