import {
	type ConnectedAccountHandle,
	completeLink,
	createAccessTokenCache,
	createLinkIntent,
	createUserHandle,
	type FetchLike,
	normalizeBaseUrl,
	sendJson,
	TetherClientError,
	type TetherUser,
	type Transport,
	type UserContext,
} from "@tether/client";
import { LinkRequiredError } from "./link-required-error.ts";
import {
	createSessionVerifier,
	type VerifiedSession,
} from "./session-verifier.ts";
import {
	verifyWebhook,
	type WebhookEvent,
	type WebhookHeaders,
} from "./webhooks.ts";

export interface TetherServerOptions {
	/** Tether's URL as this backend reaches it. */
	baseUrl: string;
	/** A secret key from Tether's `secretKeys` (`tsk_…`). Never ship it to a browser. */
	secretKey: string;
	/** Default: the platform's `fetch`. */
	fetch?: FetchLike;
	/** The `iss` of session JWTs: Tether's configured `baseUrl`. Default: `baseUrl` here. */
	issuer?: string;
}

export interface CreateLinkUrlInput {
	/** Tether's user id, or the app's own id for a user (Tether creates the user on first link). */
	userId: string;
	provider: string;
	scopes?: string[];
	/** Where the browser lands afterwards (allow-listed). Default: Tether's first allowed URL. */
	redirectTo?: string;
	/** Upgrade (or reconnect) this account rather than add another. */
	providerAccountId?: string;
}

export interface CompleteLinkInput {
	/**
	 * The user your app knows is signed in on the request that carries the code (Tether's id or
	 * your own) — never a user named by the URL. It must be the user the link URL was made for.
	 */
	userId: string;
	/** The `link_code` the browser brought back to `redirectTo`. */
	code: string;
}

export interface TetherServer {
	/**
	 * The user and their accounts, by Tether's id or the app's own id; null when Tether has no
	 * such user yet. `getOrLinkConnectedAccount` throws `LinkRequiredError` (with a link URL)
	 * where the browser SDK would start a flow.
	 */
	getUser(userId: string): Promise<TetherUser | null>;
	/** A one-time link-intent URL (five minutes) to open in that user's browser. */
	createLinkUrl(input: CreateLinkUrlInput): Promise<string>;
	/**
	 * Attaches the account a link flow authorized: redeems the `link_code` on `redirectTo`
	 * (one-time, five minutes) for `userId`, the user signed in to your app. Throws
	 * `LINK_NOT_FOUND` when the code is unknown, used, expired or was made for another user
	 * (the code is spent either way), and `ACCOUNT_ALREADY_LINKED` when the provider account
	 * belongs to another user.
	 */
	completeLink(input: CompleteLinkInput): Promise<ConnectedAccountHandle>;
	/** The caller of a session JWT (verified locally against Tether's JWKS), or null. */
	verifySession(jwt: string): Promise<VerifiedSession | null>;
	/** Verifies a Standard Webhooks delivery from Tether; see `verifyWebhook`. */
	verifyWebhook(
		payload: string | Uint8Array,
		headers: WebhookHeaders,
		secret: string,
	): WebhookEvent;
}

/** The backend SDK: any user's accounts and tokens with the secret key, link URLs, sessions. */
export function createTetherServer(options: TetherServerOptions): TetherServer {
	if (!options.secretKey.startsWith("tsk_"))
		throw new TetherClientError(
			"INVALID_REQUEST",
			'secretKey must be a Tether secret key ("tsk_…").',
			{ details: { field: "secretKey" } },
		);
	const baseUrl = normalizeBaseUrl(options.baseUrl);
	const fetchFn: FetchLike =
		options.fetch ?? ((input, init) => globalThis.fetch(input, init));
	const transport: Transport = {
		send: (request) =>
			sendJson({
				...request,
				baseUrl,
				fetch: fetchFn,
				token: options.secretKey,
			}),
	};
	// One cache for every user: keys carry the user id.
	const cache = createAccessTokenCache(() => Date.now());

	const contextFor = (userId: string): UserContext => ({
		transport,
		user: userId,
		cache,
		linkBody: { userId },
		async link(request) {
			throw new LinkRequiredError({
				url: request.url,
				provider: request.provider,
				reason: request.reason,
				missingScopes: request.missingScopes,
			});
		},
	});

	return {
		async getUser(userId) {
			const context = contextFor(userId);
			try {
				// The list is the cheapest call that tells whether Tether knows the user.
				await transport.send({
					method: "GET",
					path: `/v1/connected-accounts/${encodeURIComponent(userId)}`,
				});
			} catch (error) {
				if (
					error instanceof TetherClientError &&
					error.code === "USER_NOT_FOUND"
				)
					return null;
				throw error;
			}
			return createUserHandle(context, { id: userId });
		},
		createLinkUrl({ userId, provider, scopes, redirectTo, providerAccountId }) {
			return createLinkIntent(contextFor(userId), {
				provider,
				...(scopes === undefined ? {} : { scopes }),
				...(redirectTo === undefined ? {} : { redirectTo }),
				...(providerAccountId === undefined ? {} : { providerAccountId }),
			});
		},
		completeLink({ userId, code }) {
			return completeLink(contextFor(userId), code);
		},
		verifySession: createSessionVerifier({
			baseUrl,
			issuer: normalizeBaseUrl(options.issuer ?? baseUrl),
			fetch: fetchFn,
		}),
		verifyWebhook: (payload, headers, secret) =>
			verifyWebhook(payload, headers, secret),
	};
}
