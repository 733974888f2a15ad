/** Messages for a control that is not one of the shared fields (concept search, radio group). */
export function FieldErrors({ id, errors }: { id?: string; errors: string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <p id={id} role="alert" className="text-sm text-red-700">
      {errors.join(". ")}
    </p>
  );
}
