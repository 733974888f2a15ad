import { Slot } from "@radix-ui/react-slot";
import { cva, type VariantProps } from "class-variance-authority";
import type { ButtonHTMLAttributes } from "react";
import { cn } from "./cn";

export const buttonVariants = cva(
  "inline-flex items-center justify-center rounded-md px-3.5 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-nhs-blue focus-visible:ring-offset-2 disabled:cursor-not-allowed",
  {
    variants: {
      variant: {
        primary: "bg-nhs-blue text-white hover:bg-nhs-dark-blue disabled:bg-slate-400",
        secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-100 disabled:text-slate-400",
        danger: "bg-red-700 text-white hover:bg-red-800 disabled:bg-slate-400",
      },
    },
    defaultVariants: { variant: "primary" },
  },
);

export type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> &
  VariantProps<typeof buttonVariants> & {
    /**
     * Render the one child element (a `Link` or `<a>`) with the button's look instead of a `<button>`,
     * so navigation stays a real link (new tab, middle-click, download): `<Button asChild><Link …/></Button>`.
     */
    asChild?: boolean;
  };

export function Button({ variant, asChild = false, className, ...props }: ButtonProps) {
  const Component = asChild ? Slot : "button";
  return <Component className={cn(buttonVariants({ variant }), className)} {...props} />;
}
