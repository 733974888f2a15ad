import type { SelfCheck } from "@/protocol/contract";
import type { SeriesRetriever } from "./image-source";

/** What image tasks get from the worker: the PACS (when configured), how many images to read at once, and the health record. */
export type ImagingContext = { pacs?: SeriesRetriever; concurrency: number; health: ImageHealth };

/**
 * The outcome of the last image dataset the worker built, for the heartbeat's `images` self-check:
 * the site shows as degraded while referenced images are missing. The check's message is a fixed
 * text; how many and where are in the worker's log and `flip-worker check`.
 */
export class ImageHealth {
  private unreadable = 0;
  private referenced = 0;

  record(unreadable: number, referenced: number): void {
    this.unreadable = unreadable;
    this.referenced = referenced;
  }

  selfCheck(): SelfCheck | null {
    if (this.referenced === 0) return null;
    return this.unreadable === 0
      ? { name: "images", ok: true }
      : {
          name: "images",
          ok: false,
          message:
            "The last image task found referenced images missing or unreadable; run `flip-worker check` at the site for how many and where.",
        };
  }
}
