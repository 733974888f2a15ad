import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getViewer } from "@/server/auth/session";
import { EnrolFlow } from "./enrol-flow";

export const metadata: Metadata = { title: "Set up your second factor" };

/** First sign-in of someone whose role needs a second factor and who has none yet (new, or reset by an admin). */
export default async function EnrolSecondFactorPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  if (viewer.secondFactor === "verify") redirect("/signin/verify");
  if (viewer.mustChangePassword) redirect("/account/password");
  if (viewer.secondFactor !== "enrol") redirect("/");
  return (
    <main className="flex min-h-screen items-center justify-center bg-nhs-pale px-4 py-8">
      <div className="w-full max-w-md">
        <h1 className="text-xl font-semibold">Set up your second factor</h1>
        <p className="mt-1 mb-4 text-sm text-slate-600">
          Your role needs a second factor: each sign-in, and each sensitive action, asks for a code from an
          authenticator app on your phone as well as your password.
        </p>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <EnrolFlow />
        </div>
      </div>
    </main>
  );
}
