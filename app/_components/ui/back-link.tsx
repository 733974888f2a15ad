import Link from "next/link";
import type { ReactNode } from "react";
import { textLinkClass } from "./text-link";

/** The way back up from a detail page. */
export function BackLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <nav aria-label="Breadcrumb" className="mb-2 text-sm">
      <Link href={href} className={textLinkClass}>
        ← {children}
      </Link>
    </nav>
  );
}
