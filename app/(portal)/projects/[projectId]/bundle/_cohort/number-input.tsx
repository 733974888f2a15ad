import type { InputHTMLAttributes } from "react";

type Props = {
  id: string;
  label: string;
  value: number | undefined;
  onValue: (value: number | undefined) => void;
  suffix?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange" | "id">;

/** A labelled number box where empty means "not set". */
export function NumberInput({ id, label, value, onValue, suffix, className = "", ...input }: Props) {
  return (
    <div className="flex min-w-0 flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-slate-700">
        {label}
      </label>
      <span className="flex items-center gap-1.5">
        <input
          id={id}
          type="number"
          inputMode="decimal"
          value={value === undefined || Number.isNaN(value) ? "" : value}
          onChange={(e) => onValue(e.target.value === "" ? undefined : Number(e.target.value))}
          className={`w-full min-w-0 rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:ring-2 focus:ring-nhs-blue focus:outline-none ${className}`}
          {...input}
        />
        {suffix ? <span className="shrink-0 text-xs text-slate-500">{suffix}</span> : null}
      </span>
    </div>
  );
}
