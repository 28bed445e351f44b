import * as z from "zod/mini";

/** Every write says why; the reason lands in the audit log. */
export const ReasonSchema = z.string().check(z.trim(), z.minLength(1, "is required: say why"), z.maxLength(500));
