import { cx, type CxOptions } from "class-variance-authority";
import { twMerge } from "tailwind-merge";

/** Joins class names and lets a later Tailwind class win over an earlier one it conflicts with (`px-2` over `px-3.5`). */
export function cn(...classes: CxOptions): string {
  return twMerge(cx(...classes));
}
