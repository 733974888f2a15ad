import type { Metadata } from "next";
import { PageHeader } from "@/app/_components/ui/page-header";
import { PasskeysSection } from "./passkeys-section";

export const metadata: Metadata = { title: "Account security" };

/** The viewer's own second factors, one section per kind of factor. */
export default function AccountSecurityPage() {
  return (
    <>
      <PageHeader
        title="Account security"
        description="Your second factors: what you use, besides your password, to sign in and to confirm sensitive actions."
      />
      <div className="space-y-6">
        <PasskeysSection />
      </div>
    </>
  );
}
