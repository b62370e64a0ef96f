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
			if (!result.success) throw invalidRequest(result.error);
		},
	});
}

/** A validation failure as `INVALID_REQUEST`, naming the failing fields. */
export function invalidRequest(error: {
	issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): TetherError {
	return new TetherError("INVALID_REQUEST", "The request is not valid.", {
		details: {
			issues: error.issues.map((issue) => ({
				path: issue.path.map(String).join("."),
				message: issue.message,
			})),
		},
	});
}
