import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "./env.ts";

/**
 * Lets the browser SDK call Tether from the app's own origins — those of `allowedRedirectUrls` —
 * and no others. No cookies cross origins (the API takes bearer tokens), so credentials stay off.
 */
export function corsForApps(
	allowedRedirectUrls: readonly string[],
	baseUrl: string,
): MiddlewareHandler<AppEnv> {
	const origins = new Set([new URL(baseUrl).origin]);
	for (const entry of allowedRedirectUrls) origins.add(new URL(entry).origin);
	return cors({
		origin: (origin) => (origins.has(origin) ? origin : null),
		allowMethods: ["GET", "POST", "DELETE"],
		allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
		exposeHeaders: ["Retry-After", "X-Request-Id"],
		maxAge: 600,
	});
}
