import { createRoute, z } from "@hono/zod-openapi";
import type { AccessTokenResponse } from "@tether/api";
import { noStore } from "../http/browser-binding.ts";
import { createRouter } from "../http/env.ts";
import type { Principal } from "../http/principal.ts";
import { issueAccessToken } from "../vault/access-token.ts";
import {
	findOwnedAccount,
	listAccounts,
	unlinkAccount,
} from "../vault/accounts.ts";
import type { UsageTracker } from "../vault/usage.ts";
import { toConnectedAccount } from "../vault/views.ts";
import type { RouteDeps } from "./deps.ts";
import { namedUser, userFromPath } from "./resolve-user.ts";
import {
	connectedAccountSchema,
	errorResponse,
	jsonBody,
	jsonResponse,
	scopeList,
	sessionOrSecretKey,
} from "./schemas.ts";

const userParam = z.object({ user: z.string().min(1).max(128) });
const accountParams = userParam.extend({
	provider: z.string().min(1).max(64),
	providerAccountId: z.string().min(1).max(256),
});
const security = sessionOrSecretKey;
const authErrors = {
	401: errorResponse("No or bad credentials"),
	403: errorResponse("A session naming another user"),
};

const listRoute = createRoute({
	method: "get",
	path: "/v1/connected-accounts/{user}",
	summary: "A user's connected accounts (`me` with a session)",
	security,
	request: { params: userParam },
	responses: {
		200: jsonResponse(
			"The accounts",
			z.object({ items: z.array(connectedAccountSchema) }),
		),
		...authErrors,
		404: errorResponse("USER_NOT_FOUND"),
	},
});

const getRoute = createRoute({
	method: "get",
	path: "/v1/connected-accounts/{user}/{provider}/{providerAccountId}",
	summary: "One connected account",
	security,
	request: { params: accountParams },
	responses: {
		200: jsonResponse("The account", connectedAccountSchema),
		...authErrors,
		404: errorResponse("CONNECTED_ACCOUNT_NOT_FOUND (also for someone else's)"),
	},
});

const accessTokenSchema = z
	.object({
		accessToken: z.string(),
		tokenType: z.string(),
		expiresAt: z.string().nullable(),
		scopes: z.array(z.string()),
	})
	.openapi("AccessToken");

/** The access-token request's optional body (the node fast path validates with it too). */
export const accessTokenBody = z.object({ scopes: scopeList.optional() });

export const accessTokenRoute = createRoute({
	method: "post",
	path: "/v1/connected-accounts/{user}/{provider}/{providerAccountId}/access-token",
	summary: "A fresh provider access token with at least the requested scopes",
	security,
	request: {
		params: accountParams,
		...jsonBody(accessTokenBody, false),
	},
	responses: {
		200: jsonResponse("The token", accessTokenSchema),
		...authErrors,
		404: errorResponse("CONNECTED_ACCOUNT_NOT_FOUND"),
		409: errorResponse(
			"OAUTH_ACCESS_TOKEN_NOT_AVAILABLE: details.reason is insufficient_scopes or reauth_required",
		),
		503: errorResponse("PROVIDER_UNAVAILABLE, with Retry-After"),
	},
});

const deleteRoute = createRoute({
	method: "delete",
	path: "/v1/connected-accounts/{user}/{provider}/{providerAccountId}",
	summary:
		"Unlink: delete the tokens now, revoke them at the provider (retried until it answers)",
	security,
	request: { params: accountParams },
	responses: {
		204: { description: "Unlinked" },
		...authErrors,
		404: errorResponse("CONNECTED_ACCOUNT_NOT_FOUND"),
	},
});

export function connectedAccountRoutes(
	deps: RouteDeps & { usage: UsageTracker },
) {
	const router = createRouter();
	router.openapi(listRoute, async (c) => {
		const userId = await userFromPath(
			deps,
			c.get("principal"),
			c.req.valid("param").user,
		);
		return c.json({ items: await listAccounts(deps, userId) }, 200);
	});
	router.openapi(getRoute, async (c) => {
		const { user, provider, providerAccountId } = c.req.valid("param");
		const userId = await userFromPath(deps, c.get("principal"), user);
		return c.json(
			toConnectedAccount(
				await findOwnedAccount(deps, { userId, provider, providerAccountId }),
			),
			200,
		);
	});
	router.openapi(accessTokenRoute, async (c) => {
		const { user, provider, providerAccountId } = c.req.valid("param");
		const token = await accessTokenFor(deps, c.get("principal"), {
			user,
			provider,
			providerAccountId,
			scopes: c.req.valid("json")?.scopes,
		});
		noStore(c);
		return c.json(token, 200);
	});
	router.openapi(deleteRoute, async (c) => {
		const { user, provider, providerAccountId } = c.req.valid("param");
		const userId = await userFromPath(deps, c.get("principal"), user);
		await unlinkAccount(deps, { userId, provider, providerAccountId });
		return c.body(null, 204);
	});
	return router;
}

/**
 * The access-token route's work once the request is read: the `:user` segment for this principal,
 * then a fresh token. The Hono route and the node fast path (http/access-token-fast-path.ts) both
 * call it.
 */
export async function accessTokenFor(
	deps: RouteDeps & { usage: UsageTracker },
	principal: Principal | null,
	input: {
		user: string;
		provider: string;
		providerAccountId: string;
		scopes: string[] | undefined;
	},
): Promise<AccessTokenResponse> {
	// The secret key names a user by Tether id or by the app's external id; resolving it costs a
	// lookup, needed only when the account's owner is not the id named.
	return issueAccessToken(deps, {
		...namedUser(deps, principal, input.user),
		provider: input.provider,
		providerAccountId: input.providerAccountId,
		scopes: input.scopes ?? [],
	});
}
