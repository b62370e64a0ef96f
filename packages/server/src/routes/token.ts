import { createRoute, z } from "@hono/zod-openapi";
import { noStore } from "../http/browser-binding.ts";
import { createRouter } from "../http/env.ts";
import { requireSession } from "../http/principal.ts";
import { getUserView } from "../vault/accounts.ts";
import { exchangeCode } from "../vault/exchange.ts";
import { refreshProviderSession } from "../vault/provider-refresh.ts";
import type { RouteDeps } from "./deps.ts";
import {
	errorResponse,
	jsonBody,
	jsonResponse,
	providerParam,
	providerSessionSchema,
	sessionSchema,
} from "./schemas.ts";

const opaque = z.string().min(1).max(512);

const exchangeRoute = createRoute({
	method: "post",
	path: "/v1/token/exchange",
	summary: "Exchange the sign-in callback's one-time code for a session",
	request: jsonBody(
		z.object({
			code: opaque,
			codeVerifier: z
				.string()
				.regex(/^[A-Za-z0-9._~-]{43,128}$/)
				.optional(),
		}),
	),
	responses: {
		200: jsonResponse("A new session", sessionSchema),
		400: errorResponse("Invalid, expired or used code, or a wrong verifier"),
	},
});

const refreshRoute = createRoute({
	method: "post",
	path: "/v1/token",
	summary: "Rotate a session's refresh token for a new session",
	request: jsonBody(z.object({ refreshToken: opaque })),
	responses: {
		200: jsonResponse("The new session", sessionSchema),
		401: errorResponse(
			"Unknown, expired, revoked or reused refresh token (reuse revokes the session)",
		),
	},
});

const signoutRoute = createRoute({
	method: "post",
	path: "/v1/signout",
	summary: "End the caller's session (every token of its family)",
	security: [{ session: [] }],
	responses: {
		204: { description: "Signed out" },
		401: errorResponse("No session"),
	},
});

const providerRefreshRoute = createRoute({
	method: "post",
	path: "/v1/token/provider/{provider}",
	summary: "The guide's provider-token refresh",
	security: [{ session: [] }],
	request: {
		params: providerParam,
		...jsonBody(z.object({ refreshToken: opaque })),
	},
	responses: {
		200: jsonResponse(
			"The account's current provider tokens",
			providerSessionSchema,
		),
		400: errorResponse("Not a refresh token of the caller's accounts"),
		409: errorResponse("OAUTH_ACCESS_TOKEN_NOT_AVAILABLE (reauth_required)"),
		503: errorResponse("PROVIDER_UNAVAILABLE"),
	},
});

export function tokenRoutes(deps: RouteDeps) {
	const router = createRouter();
	router.openapi(exchangeRoute, async (c) => {
		const body = c.req.valid("json");
		noStore(c);
		return c.json(await exchangeCode(deps, body), 200);
	});
	router.openapi(refreshRoute, async (c) => {
		const { refreshToken } = c.req.valid("json");
		const session = await deps.sessions.refresh(refreshToken, deps.now());
		noStore(c);
		return c.json(
			{
				accessToken: session.accessToken,
				accessTokenExpiresIn: session.accessTokenExpiresIn,
				refreshToken: session.refreshToken,
				user: await getUserView(deps, session.userId),
			},
			200,
		);
	});
	router.openapi(signoutRoute, async (c) => {
		await deps.sessions.signOut(requireSession(c.get("principal")), deps.now());
		return c.body(null, 204);
	});
	router.openapi(providerRefreshRoute, async (c) => {
		const session = requireSession(c.get("principal"));
		const { provider } = c.req.valid("param");
		const { refreshToken } = c.req.valid("json");
		noStore(c);
		return c.json(
			await refreshProviderSession(deps, {
				userId: session.userId,
				provider,
				refreshToken,
			}),
			200,
		);
	});
	return router;
}
