import path from "node:path";
import type { WorkerConfig } from "../config";
import type { Logger } from "../log";
import { createDicomwebClient } from "./dicomweb/client";
import { createPacsRetriever } from "./dicomweb/retriever";
import { createSeriesCache } from "./dicomweb/series-cache";
import { ImageHealth, type ImagingContext } from "./imaging-context";

/** Images read at once from the data folder (PACS retrievals use the PACS's own limit). */
const LOCAL_CONCURRENCY = 2;

/** The worker's imaging set-up from its configuration: the PACS client and its cache when DICOMweb is configured. */
export function createImagingContext(config: WorkerConfig, log: Logger): ImagingContext {
  const health = new ImageHealth();
  if (!config.dicomweb) return { concurrency: LOCAL_CONCURRENCY, health };
  const client = createDicomwebClient(config.dicomweb);
  const cache = createSeriesCache(path.join(config.stateDir, "image-cache"), config.imageCacheBytes);
  log.info("Images without a local path are read from the PACS over DICOMweb", {
    pacs: new URL(config.dicomweb.baseUrl).origin,
    concurrency: config.dicomweb.concurrency,
  });
  return { pacs: createPacsRetriever(client, cache, log), concurrency: config.dicomweb.concurrency, health };
}
