import type { ReactNode } from "react";

/**
 * The body of a page that could not be shown (not found, forbidden, failed): a status line, a heading,
 * what happened in plain words and the ways on. `as="main"` outside the portal shell, which has its own `<main>`.
 */
export function StatusMessage({
  status,
  title,
  children,
  actions,
  as: Tag = "div",
}: {
  status: string;
  title: string;
  children?: ReactNode;
  actions: ReactNode;
  as?: "div" | "main";
}) {
  return (
    <Tag className="mx-auto max-w-xl px-4 py-16 text-center">
      <p className="text-sm font-semibold text-nhs-blue">{status}</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
      {children ? <div className="mt-2 text-slate-600">{children}</div> : null}
      <div className="mt-6 flex flex-wrap justify-center gap-2">{actions}</div>
    </Tag>
  );
}
