import { cva } from "class-variance-authority";
import type { ReactNode } from "react";

/** What every labelled form control takes besides its element's own attributes. */
export type FieldProps = { label: string; name: string; errors?: string[]; hint?: string };

export const errorIdOf = (name: string) => `${name}-error`;

/** Label, hint, control and its error messages, in that order, for the field components. */
export function FieldFrame({ label, name, errors, hint, children }: FieldProps & { children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={name} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      {hint ? <p className="text-xs text-slate-500">{hint}</p> : null}
      {children}
      {errors?.length ? (
        <p id={errorIdOf(name)} role="alert" className="text-sm text-red-700">
          {errors.join(". ")}
        </p>
      ) : null}
    </div>
  );
}

export const controlVariants = cva(
  "w-full rounded-md border bg-white px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-nhs-blue",
  {
    variants: { invalid: { true: "border-red-600", false: "border-slate-300" } },
    defaultVariants: { invalid: false },
  },
);
