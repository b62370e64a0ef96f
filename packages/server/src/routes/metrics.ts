import { createRoute, z } from "@hono/zod-openapi";
import type { TetherConfig } from "../config/index.ts";
import { createAdminAccess } from "../http/admin-access.ts";
import { createRouter } from "../http/env.ts";
import type { Metrics } from "../metrics/index.ts";
import { errorResponse } from "./schemas.ts";

function metricsRoute(path: string) {
	return createRoute({
		method: "get",
		path,
		summary:
			"Prometheus metrics (open in development or with metrics.public; otherwise the admin secret)",
		security: [{}, { adminSecret: [] }],
		responses: {
			200: {
				description: "Prometheus text exposition format 0.0.4",
				content: { "text/plain": { schema: z.string() } },
			},
			401: errorResponse(
				"Production without metrics.public: no or wrong admin secret",
			),
		},
	});
}

/**
 * `GET /metrics` (where scrapers look by default) and `/v1/metrics`. Mounted before the principal
 * middleware, like the admin API, because it takes the admin secret.
 */
export function metricsRoutes(deps: {
	config: TetherConfig;
	metrics: Metrics;
}) {
	const router = createRouter();
	const access = createAdminAccess(deps.config);
	for (const path of ["/metrics", "/v1/metrics"]) {
		router.use(path, access.metrics);
		router.openapi(metricsRoute(path), async (c) => {
			c.header("Cache-Control", "no-store");
			c.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
			return c.body(await deps.metrics.render(), 200);
		});
	}
	return router;
}
