import { z } from "@hono/zod-openapi";

/** The error body every route may answer with (the shared code table lives in `@tether/api`). */
export const errorSchema = z
  .object({
    code: z.string().openapi({ example: "INVALID_REQUEST" }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("Error");

/** An OpenAPI response entry for an error status. */
export function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: errorSchema } } };
}
