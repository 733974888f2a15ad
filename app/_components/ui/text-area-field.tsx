import type { TextareaHTMLAttributes } from "react";
import { controlVariants, errorIdOf, FieldFrame, type FieldProps } from "./field-frame";

export function TextAreaField({
  label,
  name,
  errors,
  hint,
  ...textarea
}: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const invalid = !!errors?.length;
  return (
    <FieldFrame label={label} name={name} errors={errors} hint={hint}>
      <textarea
        id={name}
        name={name}
        rows={4}
        aria-invalid={invalid}
        aria-describedby={invalid ? errorIdOf(name) : undefined}
        className={controlVariants({ invalid })}
        {...textarea}
      />
    </FieldFrame>
  );
}
