import type { InputHTMLAttributes } from "react";
import { controlVariants, errorIdOf, FieldFrame, type FieldProps } from "./field-frame";

export function TextField({ label, name, errors, hint, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const invalid = !!errors?.length;
  return (
    <FieldFrame label={label} name={name} errors={errors} hint={hint}>
      <input
        id={name}
        name={name}
        aria-invalid={invalid}
        aria-describedby={invalid ? errorIdOf(name) : undefined}
        className={controlVariants({ invalid })}
        {...input}
      />
    </FieldFrame>
  );
}
