import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { TetherError } from "../errors.ts";
import {
	bindBrowser,
	noStore,
	readBrowserBinding,
} from "../http/browser-binding.ts";
import { type AppEnv, createRouter } from "../http/env.ts";
import { requireSession } from "../http/principal.ts";
import { checkRedirect, finishFlow, startFlow } from "../vault/oauth-flow.ts";
import { readProviderSession } from "../vault/provider-session.ts";
import type { RouteDeps } from "./deps.ts";
import {
	errorResponse,
	providerParam,
	providerSessionSchema,
} from "./schemas.ts";

const startRoute = createRoute({
	method: "get",
	path: "/v1/signin/provider/{provider}",
	summary: "Start signing in with a provider",
	request: {
		params: providerParam,
		query: z.object({
			redirectTo: z
				.string()
				.max(2048)
				.optional()
				.openapi({ description: "Checked against allowedRedirectUrls" }),
			scopes: z.string().max(2048).optional().openapi({
				description: "Space-separated, added to the configured scopes",
			}),
			loginHint: z.string().max(256).optional(),
			codeChallenge: z
				.string()
				.regex(/^[A-Za-z0-9_-]{43,128}$/)
				.optional()
				.openapi({
					description: "S256 PKCE challenge between the app and Tether",
				}),
		}),
	},
	responses: {
		302: { description: "To the provider" },
		400: errorResponse("Bad redirectTo or parameters"),
		404: errorResponse("Unknown provider"),
	},
});

const callbackRequest = {
	params: providerParam,
};

const callbackResponses = {
	302: {
		description:
			"To the app's redirectTo with a one-time `code` (sign-in), `linked` (link) or `error`",
	},
	400: errorResponse("Unknown, expired or foreign state"),
};

const callbackGetRoute = createRoute({
	method: "get",
	path: "/v1/signin/provider/{provider}/callback",
	summary: "The provider's redirect back to Tether",
	request: callbackRequest,
	responses: callbackResponses,
});

const callbackPostRoute = createRoute({
	method: "post",
	path: "/v1/signin/provider/{provider}/callback",
	summary:
		"The provider's redirect back to Tether, for form_post providers (Apple)",
	request: callbackRequest,
	responses: callbackResponses,
});

const tokensRoute = createRoute({
	method: "get",
	path: "/v1/signin/provider/{provider}/callback/tokens",
	summary: "The just-finished sign-in's provider tokens, readable once",
	security: [{ session: [] }],
	request: { params: providerParam },
	responses: {
		200: {
			description: "The provider session",
			content: { "application/json": { schema: providerSessionSchema } },
		},
		401: errorResponse("No session"),
		404: errorResponse(
			"PROVIDER_SESSION_NOT_FOUND: already read, expired, or never there",
		),
	},
});

function splitScopes(value: string | undefined): string[] {
	return value === undefined
		? []
		: value.split(/[\s,]+/).filter((scope) => scope.length > 0);
}

export function signinRoutes(deps: RouteDeps) {
	const secure = deps.config.baseUrl.startsWith("https:");
	const router = createRouter();

	router.openapi(startRoute, async (c) => {
		const { provider: providerId } = c.req.valid("param");
		const query = c.req.valid("query");
		const provider = deps.providers.require(providerId);
		const redirectTo = checkRedirect(deps, query.redirectTo);
		const browserBindingHash = bindBrowser(c, {
			secure,
			crossSitePost: provider.entry.responseMode === "form_post",
		});
		const url = await startFlow(deps, {
			provider,
			kind: "signin",
			userId: null,
			redirectTo,
			extraScopes: splitScopes(query.scopes),
			loginHint: query.loginHint ?? null,
			appCodeChallenge: query.codeChallenge ?? null,
			providerAccountId: null,
			browserBindingHash,
		});
		noStore(c);
		return c.redirect(url.toString(), 302);
	});

	const finish = async (c: Context<AppEnv>, params: URLSearchParams) => {
		noStore(c);
		const provider = deps.providers.require(c.req.param("provider") ?? "");
		const outcome = await finishFlow(deps, {
			provider,
			params,
			browserBindingHash: readBrowserBinding(c),
		});
		return c.redirect(outcome.redirect.toString(), 302);
	};

	router.openapi(callbackGetRoute, (c) =>
		finish(c, new URL(c.req.url).searchParams),
	);
	router.openapi(callbackPostRoute, async (c) => {
		const type = c.req.header("content-type") ?? "";
		if (!type.startsWith("application/x-www-form-urlencoded")) {
			noStore(c);
			throw new TetherError(
				"UNSUPPORTED_MEDIA_TYPE",
				"The callback takes a form-encoded body.",
			);
		}
		return finish(c, new URLSearchParams(await c.req.text()));
	});

	router.openapi(tokensRoute, async (c) => {
		const session = requireSession(c.get("principal"));
		const { provider } = c.req.valid("param");
		const body = await readProviderSession(deps, { session, provider });
		noStore(c);
		return c.json(body, 200);
	});

	return router;
}
