import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Metrics } from "../metrics/index.ts";
import type { AppEnv } from "./env.ts";

/**
 * The template of the route that answered (`/v1/connected-accounts/:user/…`), never the raw path:
 * paths carry user ids and account ids, and metric labels must not. Middleware is registered for
 * every method (`ALL`), endpoints for theirs, so the first non-`ALL` match is the endpoint.
 */
export function routeTemplate(c: Context): string {
	for (const route of matchedRoutes(c))
		if (route.method !== "ALL") return route.path;
	return "unmatched";
}

/** Counts and times every request by method, route template and status. */
export function observeRequests(
	metrics: Pick<Metrics, "observeRequest">,
): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const started = performance.now();
		try {
			await next();
		} finally {
			metrics.observeRequest({
				method: c.req.method,
				route: routeTemplate(c),
				status: c.res.status,
				seconds: (performance.now() - started) / 1000,
			});
		}
	};
}
