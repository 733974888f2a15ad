import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getViewer } from "@/server/auth/session";
import { VerifyForm } from "./verify-form";

export const metadata: Metadata = { title: "Confirm it's you" };

/** The sign-in second step: the password (or SSO) is accepted, the account's second factor is still to prove. */
export default async function VerifySecondFactorPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  if (viewer.secondFactor !== "verify") redirect("/");
  return (
    <main className="flex min-h-screen items-center justify-center bg-nhs-pale px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <p className="inline-block rounded bg-nhs-blue px-2 py-1 text-lg font-bold text-white">FLIP Portal</p>
          <h1 className="mt-3 text-xl font-semibold">Confirm it&apos;s you</h1>
          <p className="mt-1 text-sm text-slate-600">
            Signing in as {viewer.email}. Use your second factor to continue.
          </p>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <VerifyForm />
        </div>
      </div>
    </main>
  );
}
