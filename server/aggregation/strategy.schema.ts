// Part of a job's stored config (jobs.config), so defined in protocol/registry.ts; see strategies.ts for the maths.
export { ZStrategyConfig, type StrategyConfig } from "@/protocol/registry";
