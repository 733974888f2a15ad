import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { importCirce } from "@/protocol/circe/import-circe";

/**
 * How many Circe definitions of a folder import and why the others are refused, by frequency.
 * Point it at the OHDSI PhenotypeLibrary's `inst/cohorts` (about 1,100 published definitions):
 *
 *   npm run circe:corpus -- <folder> [--list <reason substring>]
 *
 * A refusal is tallied by its message with numbers and quoted values blanked, and the element it
 * names (the last keys of its JSON path), so "ConditionType in a ConditionOccurrence criterion"
 * and "DrugType in a DrugExposure criterion" stay apart while concept set ids do not split a reason.
 */
const [folder, flag, wanted] = process.argv.slice(2);
if (!folder) {
  console.error("Usage: npm run circe:corpus -- <folder of Circe JSON files> [--list <reason substring>]");
  process.exit(2);
}

const files = readdirSync(folder)
  .filter((name) => name.endsWith(".json"))
  .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
const reasons = new Map<string, string[]>();
let imported = 0;
let withNotes = 0;
for (const file of files) {
  const result = importCirce(readFileSync(path.join(folder, file), "utf8"));
  if (result.ok) {
    imported++;
    if (result.notes.length > 0) withNotes++;
    continue;
  }
  const { path: at, message } = result.errors[0]!;
  const element = at
    .replace(/\[\d+\]/g, "[]")
    .split(".")
    .slice(-2)
    .join(".");
  const reason = `${element}: ${message.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, "N")}`;
  reasons.set(reason, [...(reasons.get(reason) ?? []), file.replace(/\.json$/, "")]);
}

console.log(
  `${files.length} definitions: ${imported} import (${withNotes} with notes), ${files.length - imported} refused`,
);
const sorted = [...reasons].sort((a, b) => b[1].length - a[1].length);
for (const [reason, ids] of sorted) console.log(`${String(ids.length).padStart(5)}  ${reason}`);
if (flag === "--list" && wanted)
  for (const [reason, ids] of sorted) if (reason.includes(wanted)) console.log(`\n${reason}\n  ${ids.join(" ")}`);
