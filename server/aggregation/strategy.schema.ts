import { z } from "zod";

/** How the hub turns a round's mean update into the next model; see strategies.ts for the maths. */
export const ZStrategyConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fedavg") }),
  z.object({ kind: z.literal("fedprox"), mu: z.number().nonnegative() }),
  z.object({
    kind: z.literal("fedadam"),
    serverLr: z.number().positive(),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.99),
    tau: z.number().positive().default(1e-3),
  }),
]);
export type StrategyConfig = z.infer<typeof ZStrategyConfig>;
