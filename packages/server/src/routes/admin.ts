import { createRoute, z } from "@hono/zod-openapi";
import { TetherError } from "../errors.ts";
import { createAdminAccess } from "../http/admin-access.ts";
import { createRouter } from "../http/env.ts";
import type { Metrics } from "../metrics/index.ts";
import {
	type AdminDeps,
	auditPage,
	eventsPage,
	forceRefresh,
	listUsersPage,
	providerOverview,
	replayEvent,
	statsSeries,
	unlinkAsAdmin,
	userDetail,
} from "../vault/admin.ts";
import {
	adminAuditEventSchema,
	adminEventSchema,
	adminForceRefreshSchema,
	adminProviderSchema,
	adminStatsSchema,
	adminUserDetailSchema,
	adminUserSchema,
	cursorQuery,
	limitQuery,
	pageOf,
} from "./admin-schemas.ts";
import type { RouteDeps } from "./deps.ts";
import { errorResponse, jsonResponse } from "./schemas.ts";

const security = [{ adminSecret: [] }];
const unauthorized = {
	401: errorResponse(
		"No or wrong admin secret (development without one: not from this machine)",
	),
};
const accountParams = z.object({
	provider: z.string().min(1).max(64),
	providerAccountId: z.string().min(1).max(256),
});
const tag = ["admin"];

const providersRoute = createRoute({
	method: "get",
	path: "/v1/admin/providers",
	summary: "Configured providers with accounts, refresh health and circuit",
	tags: tag,
	security,
	responses: {
		200: jsonResponse(
			"The providers",
			z.object({ items: z.array(adminProviderSchema) }),
		),
		...unauthorized,
	},
});

const usersRoute = createRoute({
	method: "get",
	path: "/v1/admin/users",
	summary: "Users, newest first, optionally those matching an identifier",
	tags: tag,
	security,
	request: {
		query: z.object({
			query: z.string().min(1).max(320).optional().openapi({
				description:
					"Exact user id, external id, email (any case), or an account's provider account id or email",
			}),
			after: cursorQuery,
			limit: limitQuery,
		}),
	},
	responses: {
		200: jsonResponse("A page of users", pageOf(adminUserSchema)),
		400: errorResponse("Bad query or cursor"),
		...unauthorized,
	},
});

const userRoute = createRoute({
	method: "get",
	path: "/v1/admin/users/{userId}",
	summary: "A user (Tether id or external id) with every connected account",
	tags: tag,
	security,
	request: { params: z.object({ userId: z.string().min(1).max(128) }) },
	responses: {
		200: jsonResponse("The user", adminUserDetailSchema),
		404: errorResponse("USER_NOT_FOUND"),
		...unauthorized,
	},
});

const auditRoute = createRoute({
	method: "get",
	path: "/v1/admin/audit",
	summary: "The audit log, newest first",
	tags: tag,
	security,
	request: {
		query: z.object({
			before: cursorQuery,
			limit: limitQuery,
			userId: z.string().min(1).max(128).optional(),
			provider: z.string().min(1).max(64).optional(),
			kind: z.string().min(1).max(64).optional(),
		}),
	},
	responses: {
		200: jsonResponse("A page of entries", pageOf(adminAuditEventSchema)),
		400: errorResponse("Bad cursor or filter"),
		...unauthorized,
	},
});

const statsRoute = createRoute({
	method: "get",
	path: "/v1/admin/stats",
	summary:
		"Audit counts over time (token reads, refreshes, failures …), for charts",
	tags: tag,
	security,
	request: {
		query: z.object({
			since: z.iso
				.datetime({ offset: true })
				.optional()
				.openapi({ description: "Default: 24 hours before until" }),
			until: z.iso
				.datetime({ offset: true })
				.optional()
				.openapi({ description: "Default: now" }),
			bucket: z.coerce
				.number()
				.int()
				.min(60)
				.max(7 * 24 * 3600)
				.default(3600)
				.openapi({
					type: "integer",
					description: "Bucket size in seconds (default 3600)",
				}),
			provider: z.string().min(1).max(64).optional(),
		}),
	},
	responses: {
		200: jsonResponse("Dense buckets", adminStatsSchema),
		400: errorResponse("Bad range, or more than 1000 buckets"),
		...unauthorized,
	},
});

const refreshRoute = createRoute({
	method: "post",
	path: "/v1/admin/accounts/{provider}/{providerAccountId}/refresh",
	summary:
		"Refresh the account's token now (the provider's backoff still applies); never returns a token",
	tags: tag,
	security,
	request: { params: accountParams },
	responses: {
		200: jsonResponse(
			"Refreshed, or held back by backoff",
			adminForceRefreshSchema,
		),
		404: errorResponse("CONNECTED_ACCOUNT_NOT_FOUND"),
		409: errorResponse("OAUTH_ACCESS_TOKEN_NOT_AVAILABLE (reauth_required)"),
		503: errorResponse("PROVIDER_UNAVAILABLE, with Retry-After"),
		...unauthorized,
	},
});

const unlinkRoute = createRoute({
	method: "delete",
	path: "/v1/admin/accounts/{provider}/{providerAccountId}",
	summary: "Unlink: delete the tokens now and revoke them at the provider",
	tags: tag,
	security,
	request: { params: accountParams },
	responses: {
		204: { description: "Unlinked" },
		404: errorResponse("CONNECTED_ACCOUNT_NOT_FOUND"),
		...unauthorized,
	},
});

const eventsRoute = createRoute({
	method: "get",
	path: "/v1/admin/events",
	summary: "Webhook events in the outbox, newest first",
	tags: tag,
	security,
	request: { query: z.object({ before: cursorQuery, limit: limitQuery }) },
	responses: {
		200: jsonResponse("A page of events", pageOf(adminEventSchema)),
		400: errorResponse("Bad cursor"),
		...unauthorized,
	},
});

const replayRoute = createRoute({
	method: "post",
	path: "/v1/admin/events/{id}/replay",
	summary:
		"Deliver a webhook event again (it becomes due now, with a fresh retry budget)",
	tags: tag,
	security,
	request: { params: z.object({ id: z.string().min(1).max(128) }) },
	responses: {
		200: jsonResponse("The event, due again", adminEventSchema),
		404: errorResponse("No such event"),
		...unauthorized,
	},
});

/**
 * The operator's API behind the dashboard. Mounted before the principal middleware: the admin
 * secret is neither a session nor a secret key, and this router answers every `/v1/admin/` path
 * itself (unknown ones with 404) so no other credential check ever sees it.
 */
export function adminRoutes(input: RouteDeps & { metrics: Metrics }) {
	const deps: AdminDeps = {
		...input,
		circuitOpenUntil: (provider) => input.metrics.circuitOpenUntil(provider),
	};
	const router = createRouter();
	const access = createAdminAccess(deps.config);
	router.openAPIRegistry.registerComponent("securitySchemes", "adminSecret", {
		type: "http",
		scheme: "bearer",
		description:
			"The operator's admin secret (config adminSecret / TETHER_ADMIN_SECRET)",
	});
	router.use("/v1/admin/*", access.admin, async (c, next) => {
		await next();
		c.header("Cache-Control", "no-store");
	});

	router.openapi(providersRoute, async (c) =>
		c.json({ items: await providerOverview(deps) }, 200),
	);
	router.openapi(usersRoute, async (c) => {
		const { query, after, limit } = c.req.valid("query");
		return c.json(
			await listUsersPage(deps, {
				limit,
				...(after === undefined ? {} : { cursor: after }),
				...(query === undefined ? {} : { query }),
			}),
			200,
		);
	});
	router.openapi(userRoute, async (c) =>
		c.json(await userDetail(deps, c.req.valid("param").userId), 200),
	);
	router.openapi(auditRoute, async (c) => {
		const { before, limit, userId, provider, kind } = c.req.valid("query");
		return c.json(
			await auditPage(deps, {
				limit,
				...(before === undefined ? {} : { cursor: before }),
				...(userId === undefined ? {} : { userId }),
				...(provider === undefined ? {} : { provider }),
				...(kind === undefined ? {} : { kind }),
			}),
			200,
		);
	});
	router.openapi(statsRoute, async (c) => {
		const query = c.req.valid("query");
		const until =
			query.until === undefined ? deps.now() : Date.parse(query.until);
		const since =
			query.since === undefined
				? until - 24 * 60 * 60 * 1000
				: Date.parse(query.since);
		return c.json(
			await statsSeries(deps, {
				since,
				until,
				bucketSeconds: query.bucket,
				...(query.provider === undefined ? {} : { provider: query.provider }),
			}),
			200,
		);
	});
	router.openapi(refreshRoute, async (c) =>
		c.json(await forceRefresh(deps, c.req.valid("param")), 200),
	);
	router.openapi(unlinkRoute, async (c) => {
		await unlinkAsAdmin(deps, c.req.valid("param"));
		return c.body(null, 204);
	});
	router.openapi(eventsRoute, async (c) => {
		const { before, limit } = c.req.valid("query");
		return c.json(
			await eventsPage(deps, {
				limit,
				...(before === undefined ? {} : { cursor: before }),
			}),
			200,
		);
	});
	router.openapi(replayRoute, async (c) =>
		c.json(await replayEvent(deps, c.req.valid("param").id), 200),
	);
	router.all("/v1/admin/*", () => {
		throw new TetherError("NOT_FOUND", "No such route.");
	});
	return router;
}
