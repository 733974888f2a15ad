import { describe, expect, it } from "vitest";
import { z } from "zod";
import { addFieldError, fieldErrorsFromIssues, fieldKeyOf, FORM_KEY } from "./field-errors";

const ZInput = z
  .object({
    name: z.string().min(1, "Enter a name"),
    spec: z.object({ input: z.object({ height: z.number().int().positive("Enter the height") }) }),
    tags: z.array(z.string().min(1, "Enter a tag")),
  })
  .refine((v) => v.name !== "forbidden", "Choose another name");

function issuesOf(input: unknown) {
  const result = ZInput.safeParse(input);
  if (result.success) throw new Error("expected the input to be refused");
  return result.error.issues;
}

describe("fieldErrorsFromIssues", () => {
  it("keys zod issues by their dotted path, array indexes included", () => {
    expect(fieldErrorsFromIssues(issuesOf({ name: "", spec: { input: { height: 0 } }, tags: ["ok", ""] }))).toEqual({
      name: ["Enter a name"],
      "spec.input.height": ["Enter the height"],
      "tags.1": ["Enter a tag"],
    });
  });

  it("puts an issue about the whole input under the form key", () => {
    expect(fieldErrorsFromIssues(issuesOf({ name: "forbidden", spec: { input: { height: 1 } }, tags: [] }))).toEqual({
      [FORM_KEY]: ["Choose another name"],
    });
  });

  it("places a nested schema's issues under a prefix and lets a form reword a message", () => {
    const issues = [
      { path: ["height"], message: "Too small: expected number to be >0" },
      { path: ["width"], message: "Too small: expected number to be >0" },
    ];
    expect(
      fieldErrorsFromIssues(issues, {
        prefix: "spec.input",
        messageFor: (key) => (key === "spec.input.height" ? "Enter the image height in pixels" : undefined),
      }),
    ).toEqual({
      "spec.input.height": ["Enter the image height in pixels"],
      "spec.input.width": ["Too small: expected number to be >0"],
    });
  });

  it("says each message once per field", () => {
    const errors = fieldErrorsFromIssues([
      { path: ["a"], message: "Same" },
      { path: ["a"], message: "Same" },
    ]);
    addFieldError(errors, "a", "Same");
    addFieldError(errors, "a", "Other");
    expect(errors).toEqual({ a: ["Same", "Other"] });
  });

  it("names the root path the form key, with or without a prefix", () => {
    expect(fieldKeyOf([])).toBe(FORM_KEY);
    expect(fieldKeyOf([], "outcome")).toBe("outcome");
    expect(fieldKeyOf(["features", 0, "name"], "spec.input")).toBe("spec.input.features.0.name");
  });
});
