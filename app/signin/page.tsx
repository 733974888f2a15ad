import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { getViewer } from "@/server/auth/session";
import { signInErrorMessage } from "@/server/auth/sso-refusals";
import { isPasswordSignInEnabled, ssoSettings } from "@/server/auth/sso-settings";
import { PasskeySignIn } from "./passkey-sign-in";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export default async function SignInPage({ searchParams }: { searchParams: SearchParams }) {
  if (await getViewer()) redirect("/");
  const params = await searchParams;
  const ssoName = ssoSettings()?.displayName ?? null;
  const error = signInErrorMessage(first(params.error), first(params.email), ssoName);
  return (
    <main className="flex min-h-screen items-center justify-center bg-nhs-pale px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <p className="inline-block rounded bg-nhs-blue px-2 py-1 text-lg font-bold text-white">FLIP Portal</p>
          <h1 className="mt-3 text-xl font-semibold">Sign in</h1>
          <p className="mt-1 text-sm text-slate-600">Federated learning across NHS Trusts</p>
        </div>
        <Suspense>
          <SignInForm ssoName={ssoName} isPasswordEnabled={isPasswordSignInEnabled()} initialError={error} />
          <PasskeySignIn />
        </Suspense>
      </div>
    </main>
  );
}
