import { parseArgs } from "node:util";
import type { GenerateOptions } from "./generate";

export const USAGE = `Usage: npm run site:generate -- --site <CODE> --database-url <url> --data-dir <dir> [options]

Creates a synthetic OMOP CDM 5.4 + MI-CDM site database and its scan images.

Required:
  --site <CODE>           site code, e.g. KCH, GSTT, UCLH (others get a profile derived from the seed)
  --database-url <url>    PostgreSQL database to fill; created if missing
  --data-dir <dir>        directory for images (written under <dir>/images/<modality>/)

Options:
  --persons <n>           number of synthetic patients (default 5000)
  --seed <n>              random seed; the same arguments give identical output (default 1)
  --schema <name>         schema for the CDM tables (default public)
  --replace               drop and regenerate existing CDM tables and images
  --images <store>        png (default), dicom (series folders under <dir>/images) or pacs (stored over STOW-RS)
  --pacs-url <url>        DICOMweb root of the PACS for --images pacs, e.g. http://127.0.0.1:8042/dicom-web
  --pacs-auth <header>    header line sent to the PACS, e.g. "Authorization: Basic ZmxpcDpmbGlw"
  --help                  show this text`;

export class UsageError extends Error {}

function integer(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${flag} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** Parses argv strictly: unknown flags, missing values and bad numbers are usage errors. */
export function parseCliArgs(
  argv: readonly string[],
): { help: true } | { help: false; options: Omit<GenerateOptions, "onProgress"> } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        site: { type: "string" },
        persons: { type: "string" },
        "database-url": { type: "string" },
        "data-dir": { type: "string" },
        seed: { type: "string" },
        schema: { type: "string" },
        replace: { type: "boolean" },
        images: { type: "string" },
        "pacs-url": { type: "string" },
        "pacs-auth": { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };
  const missing = (["site", "database-url", "data-dir"] as const).filter((flag) => !values[flag]);
  if (missing.length > 0) throw new UsageError(`missing required ${missing.map((f) => `--${f}`).join(", ")}`);
  const images = values.images ?? "png";
  if (images !== "png" && images !== "dicom" && images !== "pacs")
    throw new UsageError(`--images must be png, dicom or pacs, got "${images}"`);
  if ((images === "pacs") !== (values["pacs-url"] !== undefined))
    throw new UsageError("--pacs-url goes with --images pacs, and --images pacs needs it");
  return {
    help: false,
    options: {
      site: values.site as string,
      databaseUrl: values["database-url"] as string,
      dataDir: values["data-dir"] as string,
      persons: integer("persons", values.persons, 5000),
      seed: integer("seed", values.seed, 1),
      schema: values.schema ?? "public",
      replace: values.replace ?? false,
      images,
      ...(values["pacs-url"] ? { pacs: { url: values["pacs-url"], authHeader: values["pacs-auth"] } } : {}),
    },
  };
}
