import { TextField } from "@/app/_components/ui/text-field";
import type { InputHTMLAttributes } from "react";

type Props = {
  label: string;
  name: string;
  value: number | undefined;
  onValue: (value: number | undefined) => void;
  errors?: string[];
  hint?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange" | "name">;

/** A whole-number box where empty means "not set", so a blank is reported as missing rather than as 0. */
export function NumberField({ value, onValue, ...field }: Props) {
  return (
    <TextField
      type="number"
      inputMode="numeric"
      step={1}
      value={value ?? ""}
      onChange={(e) => onValue(e.target.value === "" ? undefined : Number(e.target.value))}
      {...field}
    />
  );
}
