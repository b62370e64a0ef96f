import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.ts";

const allowMethods = "GET,POST,DELETE";
const allowHeaders = "Authorization,Content-Type,X-Request-Id";
const exposeHeaders = "Retry-After,X-Request-Id";
const maxAgeSeconds = "600";

/**
 * Lets the browser SDK call Tether from the app's own origins — those of `allowedRedirectUrls` —
 * and no others. No cookies cross origins (the API takes bearer tokens), so credentials stay off.
 *
 * Headers go in with `c.header` before the route runs, so they are part of the response the route
 * builds; setting them on `c.res` (what hono/cors does) turns every response into a full
 * web-streams Response, a cost paid on the access-token path.
 */
export function corsForApps(
	allowedRedirectUrls: readonly string[],
	baseUrl: string,
): MiddlewareHandler<AppEnv> {
	const origins = appOrigins(allowedRedirectUrls, baseUrl);
	return async (c, next) => {
		const origin = c.req.header("origin");
		for (const [name, value] of corsHeaders(origins, origin))
			c.header(name, value);
		if (c.req.method === "OPTIONS") {
			c.header("Access-Control-Max-Age", maxAgeSeconds);
			c.header("Access-Control-Allow-Methods", allowMethods);
			c.header("Access-Control-Allow-Headers", allowHeaders);
			c.header("Vary", "Access-Control-Request-Headers", { append: true });
			return c.body(null, 204);
		}
		await next();
	};
}

/** The origins `corsForApps` lets in: Tether's own and those of `allowedRedirectUrls`. */
export function appOrigins(
	allowedRedirectUrls: readonly string[],
	baseUrl: string,
): ReadonlySet<string> {
	const origins = new Set([new URL(baseUrl).origin]);
	for (const entry of allowedRedirectUrls) origins.add(new URL(entry).origin);
	return origins;
}

/** The CORS headers of a (non-preflight) response to a request from `origin`. */
export function corsHeaders(
	origins: ReadonlySet<string>,
	origin: string | undefined,
): [string, string][] {
	const headers: [string, string][] = [];
	if (origin !== undefined && origins.has(origin))
		headers.push(["Access-Control-Allow-Origin", origin]);
	headers.push(["Access-Control-Expose-Headers", exposeHeaders]);
	headers.push(["Vary", "Origin"]);
	return headers;
}
