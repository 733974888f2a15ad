import type { ReactNode } from "react";
import { cn } from "./cn";

export type Column<T> = { header: string; cell: (row: T) => ReactNode; className?: string };

/** A table on wide screens; below `md` each row becomes a stacked card with the column names inline. */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
}: {
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
}) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table aria-label={label} className="block w-full text-left text-sm md:table">
        <thead className="hidden border-b border-slate-200 bg-slate-50 text-xs tracking-wide text-slate-600 uppercase md:table-header-group">
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col" className="px-4 py-2.5 font-semibold">
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="block divide-y divide-slate-200 md:table-row-group">
          {rows.map((row) => (
            <tr key={rowKey(row)} className="block px-4 py-3 md:table-row md:p-0">
              {columns.map((column) => (
                <td
                  key={column.header}
                  className={cn(
                    "flex items-baseline gap-3 py-1 md:table-cell md:px-4 md:py-3 md:align-top",
                    column.className,
                  )}
                >
                  <span className="w-24 shrink-0 text-xs font-medium text-slate-500 md:hidden">{column.header}</span>
                  <div className="min-w-0 break-words">{column.cell(row)}</div>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
