import { createRoute, z } from "@hono/zod-openapi";
import { TetherError } from "../errors.ts";
import { createRouter } from "../http/env.ts";
import type { Store } from "../store/index.ts";
import { version } from "../version.ts";
import { errorResponse } from "./schemas.ts";

const healthSchema = z
	.object({ status: z.literal("ok"), version: z.string() })
	.openapi("Health");

const healthRoute = createRoute({
	method: "get",
	path: "/v1/healthz",
	summary: "Liveness and database reachability",
	responses: {
		200: {
			description: "Serving",
			content: { "application/json": { schema: healthSchema } },
		},
		503: errorResponse("The database is unreachable"),
	},
});

export function healthRoutes({ store }: { store: Store }) {
	return createRouter().openapi(healthRoute, async (c) => {
		try {
			await store.ping();
		} catch (cause) {
			throw new TetherError(
				"SERVICE_UNAVAILABLE",
				"The database is unreachable.",
				{ cause },
			);
		}
		return c.json({ status: "ok" as const, version }, 200);
	});
}
