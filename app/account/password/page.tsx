import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getViewer } from "@/server/auth/session";
import { ChangePasswordForm } from "./change-password-form";

export const metadata: Metadata = { title: "Set your password" };

export default async function ChangePasswordPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  if (viewer.secondFactor === "verify") redirect("/signin/verify");
  return (
    <main className="flex min-h-screen items-center justify-center bg-nhs-pale px-4">
      <div className="w-full max-w-md">
        <h1 className="text-xl font-semibold">
          {viewer.mustChangePassword ? "Choose your own password" : "Change your password"}
        </h1>
        <p className="mt-1 mb-4 text-sm text-slate-600">
          {viewer.mustChangePassword
            ? "You signed in with a temporary password. Replace it before you continue."
            : "Other browsers signed in to your account will be signed out."}
        </p>
        <ChangePasswordForm email={viewer.email} />
      </div>
    </main>
  );
}
