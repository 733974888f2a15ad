import { z } from "zod";

export const ZSiteCode = z
  .string({ error: "Enter a site code" })
  .trim()
  .toUpperCase()
  .regex(/^[A-Z][A-Z0-9]{1,11}$/, "Use 2 to 12 letters or digits, starting with a letter (e.g. KCH)");

const ZSiteName = z
  .string({ error: "Enter the Trust's name" })
  .trim()
  .min(2, "Enter the Trust's name")
  .max(200, "Names are at most 200 characters");
const ZRegion = z
  .string({ error: "Enter a region" })
  .trim()
  .min(2, "Enter a region")
  .max(100, "Regions are at most 100 characters");

export const ZSiteCreateInput = z.object({ code: ZSiteCode, name: ZSiteName, region: ZRegion });
export type TSiteCreateInput = z.infer<typeof ZSiteCreateInput>;

export const ZSiteUpdateInput = z.object({ siteId: z.uuid("Choose a site"), name: ZSiteName, region: ZRegion });
export type TSiteUpdateInput = z.infer<typeof ZSiteUpdateInput>;

export const ZSiteIdInput = z.object({ siteId: z.uuid("Choose a site") });
