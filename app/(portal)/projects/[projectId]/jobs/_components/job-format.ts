import type { StrategyConfig } from "@/server/aggregation/strategy.schema";

/** Metrics are fractions (0–1); three decimals tell rounds apart without implying more precision. */
export function formatMetric(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toFixed(3);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function formatClock(date: Date): string {
  return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function describeStrategy(strategy: StrategyConfig | undefined): string {
  if (!strategy) return "—";
  switch (strategy.kind) {
    case "fedavg":
      return "FedAvg";
    case "fedprox":
      return `FedProx (mu ${strategy.mu})`;
    case "fedadam":
      return `FedAdam (server learning rate ${strategy.serverLr})`;
  }
}

export const jobKindLabel = (kind: "train" | "evaluate") => (kind === "train" ? "Training" : "Evaluation");

export const modelCardHref = (projectId: string, modelId: string, versionId: string) =>
  `/projects/${projectId}/models/${modelId}/card?version=${versionId}`;
export const registryHref = (projectId: string, modelId: string) => `/projects/${projectId}/models/${modelId}`;
