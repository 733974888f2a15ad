import { ImageReadError, type ImageProblem } from "./image-error";

/**
 * Counts of images left out, by reason, and the distinct explanations (a transfer syntax name, "no
 * such file"): what the worker's log and `flip-worker check` show Trust staff. No path or UID.
 */
const MAX_REASONS = 5;

export class ImageProblemTally {
  total = 0;
  private readonly byKind: Partial<Record<ImageProblem, number>> = {};
  private readonly reasons = new Set<string>();

  add(error: unknown): void {
    const kind: ImageProblem = error instanceof ImageReadError ? error.kind : "unreadable";
    this.total++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    if (this.reasons.size < MAX_REASONS)
      this.reasons.add(error instanceof ImageReadError ? error.message : "the image could not be read");
  }

  /** Flat fields for a log line: the total, one count per reason kind, and the explanations joined. */
  summary(): Record<string, string | number> {
    const counts = Object.fromEntries(Object.entries(this.byKind).map(([kind, n]) => [kind, n]));
    return { total: this.total, ...counts, reasons: [...this.reasons].join("; ") };
  }
}
