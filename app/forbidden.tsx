import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="mx-auto max-w-xl px-4 py-16 text-center">
      <p className="text-sm font-semibold text-nhs-blue">403</p>
      <h1 className="mt-2 text-2xl font-semibold">You do not have access to this page</h1>
      <p className="mt-2 text-slate-600">
        Your roles do not include this area. If you need it, ask a platform admin to grant the role.
      </p>
      <Link href="/" className="mt-6 inline-block text-nhs-blue underline">
        Back to home
      </Link>
    </main>
  );
}
