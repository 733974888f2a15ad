import type { WorkerConfig } from "../config";
import type { Logger } from "../log";
import { ImageHealth, type ImagingContext } from "./imaging-context";

/** Images read at once from the data folder (PACS retrievals use the PACS's own limit). */
const LOCAL_CONCURRENCY = 2;

/** The worker's imaging set-up from its configuration: the PACS client when one is configured. */
export function createImagingContext(_config: WorkerConfig, _log: Logger): ImagingContext {
  return { concurrency: LOCAL_CONCURRENCY, health: new ImageHealth() };
}
