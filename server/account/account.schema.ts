import { z } from "zod";

export const ZEndSessionInput = z.object({ sessionId: z.uuid("Choose a session") });
export type TEndSessionInput = z.infer<typeof ZEndSessionInput>;
