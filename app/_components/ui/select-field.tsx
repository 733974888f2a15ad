import type { SelectHTMLAttributes } from "react";
import { controlVariants, FieldFrame, type FieldProps } from "./field-frame";

export function SelectField({
  label,
  name,
  errors,
  hint,
  children,
  ...select
}: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const invalid = !!errors?.length;
  return (
    <FieldFrame label={label} name={name} errors={errors} hint={hint}>
      <select id={name} name={name} aria-invalid={invalid} className={controlVariants({ invalid })} {...select}>
        {children}
      </select>
    </FieldFrame>
  );
}
