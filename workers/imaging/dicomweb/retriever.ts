import type { Logger } from "../../log";
import { ImageReadError } from "../image-error";
import type { SeriesRetriever } from "../image-source";
import type { DicomwebClient } from "./client";
import type { SeriesCache } from "./series-cache";

/**
 * A series by its UIDs: from the site's cache, else found with QIDO-RS and retrieved with WADO-RS,
 * checked against the number of instances the PACS reported, and cached.
 */
export function createPacsRetriever(client: DicomwebClient, cache: SeriesCache, log: Logger): SeriesRetriever {
  return async (studyUid, seriesUid, signal) => {
    const cached = await cache.get(studyUid, seriesUid);
    if (cached) return cached;
    const match = await client.findSeries(studyUid, seriesUid, signal);
    if (!match) throw new ImageReadError("missing", "the PACS has no such series (QIDO-RS found none)");
    const instances = await client.retrieveSeries(studyUid, seriesUid, signal);
    if (match.instances !== null && instances.length !== match.instances)
      throw new ImageReadError(
        "unreadable",
        `the PACS returned ${instances.length} of the ${match.instances} instances it lists for the series`,
      );
    await cache.put(studyUid, seriesUid, instances).catch((error: unknown) => {
      // A full disk loses the cache, not the task: the series is still in memory.
      log.warn("Could not cache a series retrieved from the PACS", { error: String(error) });
    });
    return instances;
  };
}
