import { bodyLimit } from "hono/body-limit";
import { corsForApps } from "./http/cors.ts";
import { createRouter } from "./http/env.ts";
import { renderError, renderNotFound } from "./http/errors.ts";
import { observeRequests } from "./http/observe-requests.ts";
import { readPrincipal } from "./http/principal.ts";
import { createRateLimiter, type RateLimiter } from "./http/rate-limit.ts";
import { requestContext } from "./http/request-context.ts";
import type { Metrics } from "./metrics/index.ts";
import { adminRoutes } from "./routes/admin.ts";
import { connectedAccountRoutes } from "./routes/connected-accounts.ts";
import type { RouteDeps } from "./routes/deps.ts";
import { docsRoutes } from "./routes/docs.ts";
import { healthRoutes } from "./routes/health.ts";
import { jwksRoutes } from "./routes/jwks.ts";
import { linkRoutes } from "./routes/link.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { signinRoutes } from "./routes/signin.ts";
import { tokenRoutes } from "./routes/token.ts";
import { userRoutes } from "./routes/user.ts";
import type { UsageTracker } from "./vault/usage.ts";
import { version } from "./version.ts";

/** JSON bodies Tether accepts are small; anything larger is refused before it is read. */
export const maxBodyBytes = 64 * 1024;

export interface AppDeps extends RouteDeps {
	usage: UsageTracker;
	matchSecretKey: (key: string) => boolean;
	metrics: Metrics;
	/** The rate limiter, when something besides the app spends from the same buckets. */
	rateLimiter?: RateLimiter;
}

/** The HTTP surface: middleware, the routes, the OpenAPI description and the error renderer. */
export function createApp(deps: AppDeps) {
	const app = createRouter();
	app.use(requestContext(deps.logger));
	app.use(
		"/v1/*",
		corsForApps(deps.config.allowedRedirectUrls, deps.config.baseUrl),
	);
	app.use(observeRequests(deps.metrics));
	// Headers set before the route runs go into the response it builds; set afterwards, they make
	// Hono rebuild every response as a web-streams Response (see http/cors.ts).
	app.use(async (c, next) => {
		c.header("X-Content-Type-Options", "nosniff");
		await next();
	});
	const rateLimiter = deps.rateLimiter ?? createAppRateLimiter(deps);
	app.use(rateLimiter.byClient);
	app.use(bodyLimit({ maxSize: maxBodyBytes }));
	// The operator's surfaces take the admin secret, which readPrincipal would refuse as a bad
	// session: they sit before it and answer every path under them themselves.
	app.route("/", adminRoutes(deps));
	app.route("/", metricsRoutes(deps));
	app.use(readPrincipal(deps));
	app.use(rateLimiter.byPrincipal);
	app.onError(renderError(deps.logger));
	app.notFound(renderNotFound);

	app.route("/", healthRoutes(deps));
	app.route("/", jwksRoutes(deps));
	app.route("/", signinRoutes(deps));
	app.route("/", tokenRoutes(deps));
	app.route("/", userRoutes(deps));
	app.route("/", connectedAccountRoutes(deps));
	app.route("/", linkRoutes(deps));
	app.route("/", docsRoutes(app));

	app.openAPIRegistry.registerComponent("securitySchemes", "session", {
		type: "http",
		scheme: "bearer",
		bearerFormat: "JWT",
		description: "A Tether session access token",
	});
	app.openAPIRegistry.registerComponent("securitySchemes", "secretKey", {
		type: "http",
		scheme: "bearer",
		description: "The app backend's secret key (tsk_…); never from a browser",
	});
	app.doc31("/openapi.json", {
		openapi: "3.1.0",
		info: {
			title: "Tether",
			version,
			description:
				"Sign-in, account linking and fresh provider access tokens for your app.",
		},
	});
	return app;
}

export type App = ReturnType<typeof createApp>;

/** The rate limiter the config asks for (one per process: the app and the fast path share it). */
export function createAppRateLimiter(
	deps: Pick<AppDeps, "config" | "now">,
): RateLimiter {
	return createRateLimiter({
		rateLimits: deps.config.rateLimits,
		trustProxy: deps.config.trustProxy,
		now: deps.now,
	});
}
