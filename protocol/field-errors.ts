/**
 * The one mapping from validation issues (zod's, or any `{ path, message }`) to the per-field messages
 * forms show beside their fields. The hub's error formatter (server/errors.ts) and the browser's own
 * checks (job, model and cohort forms) both use it, so a field has the same key whichever side refused it.
 */

/** Messages keyed by the dotted path of the input they belong to, e.g. "spec.input.height". */
export type FieldErrors = Record<string, string[]>;

/** What a zod issue carries that a form needs; zod's `ZodIssue` fits. */
export type PathIssue = { readonly path: readonly PropertyKey[]; readonly message: string };

/** The key for an issue about the whole input rather than one of its fields. */
export const FORM_KEY = "form";

/** "spec.input.features.0.name" for ["spec", "input", "features", 0, "name"], under `prefix` when given. */
export function fieldKeyOf(path: readonly PropertyKey[], prefix?: string): string {
  const parts = [...(prefix ? [prefix] : []), ...path.map(String)];
  return parts.length ? parts.join(".") : FORM_KEY;
}

/** Adds `message` at `key` unless that field already says exactly this. */
export function addFieldError(errors: FieldErrors, key: string, message: string): void {
  if (!errors[key]?.includes(message)) errors[key] = [...(errors[key] ?? []), message];
}

/**
 * Groups issues by field. `prefix` places a nested schema's issues where the whole input has them
 * ("outcome" + ["name"] → "outcome.name"); `messageFor` replaces a schema message that does not say
 * what to enter (return undefined to keep it).
 */
export function fieldErrorsFromIssues(
  issues: readonly PathIssue[],
  options: { prefix?: string; messageFor?: (key: string, issue: PathIssue) => string | undefined } = {},
): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const key = fieldKeyOf(issue.path, options.prefix);
    addFieldError(errors, key, options.messageFor?.(key, issue) ?? issue.message);
  }
  return errors;
}
