import Link from "next/link";
import type { ReactNode } from "react";

const base =
  "inline-flex items-center justify-center rounded-md px-3.5 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-nhs-blue focus-visible:ring-offset-2";
const variants = {
  primary: "bg-nhs-blue text-white hover:bg-nhs-dark-blue",
  secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-100",
} as const;

/** A navigation that looks like a Button; it stays a link so it opens in a new tab and reads as one. */
export function LinkButton({
  href,
  variant = "primary",
  children,
}: {
  href: string;
  variant?: keyof typeof variants;
  children: ReactNode;
}) {
  return (
    <Link href={href} className={`${base} ${variants[variant]}`}>
      {children}
    </Link>
  );
}
