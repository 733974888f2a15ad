import type { TaskKind } from "@/protocol/contract";
import type { TaskHandler } from "./base";
import { cohortCountTask } from "./cohort-count";
import { evaluateTask } from "./evaluate";
import { siteInventoryTask } from "./site-inventory";
import { trainTask } from "./train";

/** Every task kind of the contract has exactly one handler; a new kind fails to compile until it is added here. */
export const TASK_HANDLERS: { [K in TaskKind]: TaskHandler<K> } = {
  site_inventory: siteInventoryTask,
  cohort_count: cohortCountTask,
  train: trainTask,
  evaluate: evaluateTask,
};
