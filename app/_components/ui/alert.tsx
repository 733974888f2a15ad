import { cva, type VariantProps } from "class-variance-authority";
import type { ReactNode } from "react";

const alertVariants = cva("rounded-md border px-3 py-2 text-sm", {
  variants: {
    tone: {
      error: "border-red-300 bg-red-50 text-red-800",
      success: "border-green-300 bg-green-50 text-green-800",
      info: "border-sky-300 bg-sky-50 text-sky-900",
      warning: "border-amber-300 bg-amber-50 text-amber-900",
    },
  },
  defaultVariants: { tone: "error" },
});

/** An error is announced at once (`alert`); the other tones politely (`status`). */
export function Alert({
  tone = "error",
  children,
}: {
  tone?: NonNullable<VariantProps<typeof alertVariants>["tone"]>;
  children: ReactNode;
}) {
  return (
    <div role={tone === "error" ? "alert" : "status"} className={alertVariants({ tone })}>
      {children}
    </div>
  );
}
