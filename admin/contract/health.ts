import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";

/** GET /_cutover/health (no token; 503 while nothing serves): what `cutover doctor` reads. */
export const HealthAnswer = openObject({
  /** ok, degraded, starting, unavailable. */
  status: z.string(),
  /** The version serving now. */
  version: z.optional(z.int()),
  /** The newest version read and waiting for its moment, and how many versions wait (this one included). */
  pending: z.optional(openObject({ version: z.int(), effectiveAt: z.string(), waiting: z.optional(z.int()) })),
  /** Milliseconds since the store last confirmed the table in use. */
  ageMs: z.optional(z.number()),
  lastError: z.optional(z.string()),
  /** dynamodb or static. */
  source: z.string(),
  propagationMs: z.number(),
  /** Settings the deployment is missing or got wrong. */
  problems: list(z.string()),
  /** What is off by choice and how to turn it on. */
  notes: list(z.string()),
  /** What this isolate's recorders hold and lost. */
  isolate: z.record(z.string(), z.unknown()),
});
export type HealthAnswer = z.infer<typeof HealthAnswer>;
