import { createRoute, z } from "@hono/zod-openapi";
import { TetherError } from "../errors.ts";
import { bindBrowser, noStore } from "../http/browser-binding.ts";
import { createRouter } from "../http/env.ts";
import type { Principal } from "../http/principal.ts";
import { consumeLinkIntent, createLinkIntent } from "../vault/link-intents.ts";
import { checkRedirect, startFlow } from "../vault/oauth-flow.ts";
import { redeemLink } from "../vault/pending-links.ts";
import { toConnectedAccount } from "../vault/views.ts";
import type { RouteDeps } from "./deps.ts";
import { userFromPath } from "./resolve-user.ts";
import {
	connectedAccountSchema,
	errorResponse,
	jsonBody,
	jsonResponse,
	providerParam,
	scopeList,
	sessionOrSecretKey,
} from "./schemas.ts";

const createIntentRoute = createRoute({
	method: "post",
	path: "/v1/link/{provider}",
	summary:
		"A one-time URL that links a provider account to the user (or upgrades one)",
	security: sessionOrSecretKey,
	request: {
		params: providerParam,
		...jsonBody(
			z.object({
				scopes: scopeList.optional(),
				redirectTo: z.string().max(2048).optional(),
				providerAccountId: z.string().min(1).max(256).optional(),
				userId: z
					.string()
					.min(1)
					.max(128)
					.optional()
					.openapi({ description: "Secret key only: the user to link for" }),
			}),
			false,
		),
	},
	responses: {
		200: jsonResponse(
			"The URL to open in the user's browser",
			z.object({ url: z.string() }),
		),
		400: errorResponse("Bad redirectTo, or userId with a session"),
		401: errorResponse("No or bad credentials"),
		404: errorResponse("Unknown provider"),
	},
});

const completeRoute = createRoute({
	method: "post",
	path: "/v1/link/complete",
	summary:
		"Attaches a finished link flow's account; only the user the link was made for can",
	description:
		"The link flow lands on the app's redirectTo with `linked` and a one-time `link_code`. Redeeming it with the intent owner's own session (or the secret key and their userId) attaches the account, so a link URL finished in someone else's browser attaches nothing.",
	security: sessionOrSecretKey,
	request: {
		...jsonBody(
			z.object({
				code: z.string().min(1).max(256),
				userId: z.string().min(1).max(128).optional().openapi({
					description: "Secret key only: the user the link is for",
				}),
			}),
		),
	},
	responses: {
		200: jsonResponse("The linked account", connectedAccountSchema),
		400: errorResponse("Bad body, or userId with a session"),
		401: errorResponse("No or bad credentials"),
		404: errorResponse(
			"LINK_NOT_FOUND: unknown, used, expired, or another user's code",
		),
		409: errorResponse(
			"ACCOUNT_ALREADY_LINKED: the provider account belongs to another user",
		),
	},
});

const startRoute = createRoute({
	method: "get",
	path: "/v1/link/{provider}/start",
	summary: "Opens a link intent: on to the provider",
	request: {
		params: providerParam,
		query: z.object({ intent: z.string().min(1).max(128) }),
	},
	responses: {
		302: { description: "To the provider" },
		400: errorResponse("Unknown, used or expired intent"),
	},
});

export function linkRoutes(deps: RouteDeps) {
	const secure = deps.config.baseUrl.startsWith("https:");
	const router = createRouter();

	/** The user a link call is for: a session's own, or the one the secret key names in `userId`. */
	async function linkingUser(
		principal: Principal | null,
		userId: string | undefined,
		options: { create: boolean },
	): Promise<string> {
		if (principal?.kind === "secret") {
			if (userId === undefined) {
				throw new TetherError(
					"INVALID_REQUEST",
					"userId is required with the secret key.",
					{ details: { field: "userId" } },
				);
			}
			return userFromPath(deps, principal, userId, options);
		}
		if (userId !== undefined) {
			throw new TetherError(
				"INVALID_REQUEST",
				"userId is only for the secret key; a session links for itself.",
				{ details: { field: "userId" } },
			);
		}
		return userFromPath(deps, principal, "me");
	}

	// Before the `{provider}` route, which would otherwise take "complete" for a provider id.
	router.openapi(completeRoute, async (c) => {
		const { code, userId } = c.req.valid("json");
		const owner = await linkingUser(c.get("principal"), userId, {
			create: false,
		});
		const account = await redeemLink(deps, { code, userId: owner });
		noStore(c);
		return c.json(toConnectedAccount(account), 200);
	});

	router.openapi(createIntentRoute, async (c) => {
		const { provider } = c.req.valid("param");
		const body = c.req.valid("json") ?? {};
		const userId = await linkingUser(c.get("principal"), body.userId, {
			create: true,
		});
		deps.providers.require(provider);
		const url = await createLinkIntent(deps, {
			userId,
			provider,
			scopes: body.scopes ?? [],
			redirectTo: checkRedirect(deps, body.redirectTo),
			providerAccountId: body.providerAccountId ?? null,
		});
		noStore(c);
		return c.json({ url }, 200);
	});

	router.openapi(startRoute, async (c) => {
		const { provider: providerId } = c.req.valid("param");
		const { intent: handle } = c.req.valid("query");
		noStore(c);
		const provider = deps.providers.require(providerId);
		const intent = await consumeLinkIntent(deps, providerId, handle);
		const browserBindingHash = bindBrowser(c, {
			secure,
			crossSitePost: provider.entry.responseMode === "form_post",
		});
		const url = await startFlow(deps, {
			provider,
			kind: "link",
			userId: intent.userId,
			redirectTo: intent.redirectTo,
			extraScopes: intent.scopes,
			loginHint: null,
			appCodeChallenge: null,
			providerAccountId: intent.providerAccountId,
			browserBindingHash,
		});
		return c.redirect(url.toString(), 302);
	});
	return router;
}
