import type { z } from "zod";
import type { TASK_SCHEMAS, TaskKind } from "./contract";

/**
 * The per-kind payload and result types of the worker protocol, as the hub stores them on a site
 * task (site_tasks.payload / site_tasks.result). A row's `kind` says which one it holds: narrow with
 * `isTaskOfKind` before reading kind-specific fields.
 */
export type TaskPayloads = { [K in TaskKind]: z.infer<(typeof TASK_SCHEMAS)[K]["payload"]> };
export type TaskResults = { [K in TaskKind]: z.infer<(typeof TASK_SCHEMAS)[K]["result"]> };
export type TaskPayload = TaskPayloads[TaskKind];
export type TaskResult = TaskResults[TaskKind];

type PayloadOf<T, K extends TaskKind> = "payload" extends keyof T ? { payload: TaskPayloads[K] } : unknown;
type ResultOf<T, K extends TaskKind> = "result" extends keyof T ? { result: TaskResults[K] | null } : unknown;

/** A task row (or a selection of its columns) whose `kind` is known, with payload and result narrowed to match. */
export type TaskOfKind<T extends { kind: string }, K extends TaskKind> = T & { kind: K } & PayloadOf<T, K> &
  ResultOf<T, K>;

/** True when the task is of that kind; its payload and result (where selected) then have that kind's types. */
export function isTaskOfKind<T extends { kind: string }, K extends TaskKind>(
  task: T,
  kind: K,
): task is TaskOfKind<T, K> {
  return task.kind === kind;
}
