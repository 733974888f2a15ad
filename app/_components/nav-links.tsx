"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

export function NavLinks({ items }: { items: { href: string; label: string }[] }) {
  const pathname = usePathname();
  const isCurrent = (href: string) => (href === "/" ? pathname === "/" : pathname.startsWith(href));
  return (
    <nav aria-label="Main" className="bg-nhs-dark-blue">
      <ul className="mx-auto flex max-w-6xl gap-1 overflow-x-auto px-2 text-sm">
        {items.map((item) => (
          <li key={item.href}>
            <Link
              href={item.href}
              aria-current={isCurrent(item.href) ? "page" : undefined}
              className={`block whitespace-nowrap px-3 py-2.5 ${isCurrent(item.href) ? "border-b-2 border-white font-semibold" : "text-sky-100 hover:text-white"}`}
            >
              {item.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
