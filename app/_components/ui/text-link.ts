/** An inline link in running text or a table cell. */
export const textLinkClass = "text-nhs-blue underline-offset-2 hover:underline";
