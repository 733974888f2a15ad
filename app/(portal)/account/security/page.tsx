import type { Metadata } from "next";
import { BackLink } from "@/app/_components/ui/back-link";
import { PageHeader } from "@/app/_components/ui/page-header";
import { AuthenticatorApps } from "./authenticator-apps";
import { PasskeysSection } from "./passkeys-section";

export const metadata: Metadata = { title: "Account security" };

/**
 * The viewer's own second factors. One section per kind of factor: authenticator apps (with the
 * recovery codes) and passkeys.
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
        <PasskeysSection />
      </div>
    </>
  );
}
