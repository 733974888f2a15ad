/** Links styled as the shared Button variants, for navigation that must stay a real link (middle-click, download). */
const base =
  "inline-flex items-center justify-center rounded-md px-3.5 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-nhs-blue focus-visible:ring-offset-2";

export const linkButton = {
  primary: `${base} bg-nhs-blue text-white hover:bg-nhs-dark-blue`,
  secondary: `${base} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100`,
} as const;

export const textLink = "text-nhs-blue underline-offset-2 hover:underline";
