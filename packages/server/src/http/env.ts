import { OpenAPIHono } from "@hono/zod-openapi";
import { TetherError } from "../errors.ts";

/** Per-request values the middleware sets for the routes. */
export interface AppEnv {
	Variables: {
		requestId: string;
	};
}

/**
 * A router whose validation failures become `INVALID_REQUEST` with the failing fields named.
 * Every route file builds its router with this, so requests are validated by the same zod schemas
 * the OpenAPI description is generated from.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
	return new OpenAPIHono<AppEnv>({
		defaultHook: (result) => {
			if (!result.success) {
				throw new TetherError("INVALID_REQUEST", "The request is not valid.", {
					details: {
						issues: result.error.issues.map((issue) => ({
							path: issue.path.map(String).join("."),
							message: issue.message,
						})),
					},
				});
			}
		},
	});
}
