import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { closeServer, listenOnLoopback } from "../listen.ts";
import { defaultClaims, providerConfiguration } from "./configuration.ts";
import {
	countRequests,
	emptyCounters,
	type UpstreamCounters,
} from "./counters.ts";
import { handleInteraction, type InteractionState } from "./interactions.ts";
import { loadProvider, withoutProviderNotices } from "./quiet.ts";

export interface UpstreamOptions {
	/** Redirect URIs registered for the client; more can be added later with `addRedirectUri`. */
	redirectUris: readonly string[];
	/**
	 * Scopes beyond `openid email profile offline_access` (e.g. `read`, `drive.readonly`). They
	 * are granted at consent and listed in the token response's `scope`.
	 */
	extraScopes?: readonly string[];
	/** Access-token lifetime in seconds. Default 3600. */
	accessTokenTtlSeconds?: number;
	/** Default `tether-test-client`. */
	clientId?: string;
	/** Default: random. */
	clientSecret?: string;
	/** Who signs in when neither `authorize` nor `login_hint` says. Default `alice`. */
	defaultAccount?: string;
	/** Claims for an account. Default: `email` `<id>@upstream.test` (verified) and `name`. */
	accountClaims?: (accountId: string) => Record<string, unknown>;
}

export type { UpstreamCounters };

export interface UpstreamEndpoints {
	authorizationEndpoint: string;
	tokenEndpoint: string;
	revocationEndpoint: string;
	userinfoEndpoint: string;
	jwksUri: string;
}

export type GrantTarget = { account: string } | { refreshToken: string };

export interface Upstream {
	/** The issuer identifier, `http://127.0.0.1:<port>`; discovery works from it. */
	issuer: string;
	/** The server's base URL (the same as `issuer`: the provider is mounted at the root). */
	url: string;
	endpoints: UpstreamEndpoints;
	clientId: string;
	clientSecret: string;
	/** The client's current redirect URIs. */
	readonly redirectUris: readonly string[];
	readonly counters: Readonly<UpstreamCounters>;
	resetCounters(): void;
	/**
	 * Sets who the headless login signs in for flows that do not name an account (a real
	 * browser in e2e, or an authorization URL without `login_hint`), and which scopes that
	 * user agrees to (default: all requested).
	 */
	login(account: string, options?: { grantScopes?: readonly string[] }): void;
	/** Registers another redirect URI for the client, e.g. once a server's port is known. */
	addRedirectUri(uri: string): Promise<void>;
	/**
	 * Revokes grants as a user removing the app at the provider would: every grant the account
	 * consented to, or the grant behind a refresh token. Tokens of the grant stop working at
	 * once. Resolves with the number of grants revoked.
	 */
	revokeGrant(target: GrantTarget): Promise<number>;
	close(): Promise<void>;
}

/**
 * Starts a real oidc-provider on an ephemeral loopback port, set up like a strict production
 * provider: confidential client, PKCE S256 required, rotating refresh tokens with reuse
 * detection, exact expiry (no clock tolerance), RFC 9207 `iss`, revocation and userinfo.
 * Login and consent finish by themselves (see `authorize`).
 */
export async function startUpstream(
	options: UpstreamOptions,
): Promise<Upstream> {
	const Provider = await loadProvider();
	const server = createServer();
	const issuer = (await listenOnLoopback(server)).origin;

	const clientId = options.clientId ?? "tether-test-client";
	const clientSecret =
		options.clientSecret ?? randomBytes(24).toString("base64url");
	const redirectUris = [...options.redirectUris];
	let counters = emptyCounters();
	const state: InteractionState = {
		nextLogin: { account: options.defaultAccount ?? "alice" },
		grantsByAccount: new Map(),
	};

	const configuration = await providerConfiguration({
		accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
		extraScopes: options.extraScopes ?? [],
		accountClaims: options.accountClaims ?? defaultClaims,
	});

	const provider = await withoutProviderNotices(
		() => new Provider(issuer, configuration),
	);

	// The client lives in the adapter rather than in static config so redirect URIs can be
	// added after start; oidc-provider re-reads adapter clients on every lookup.
	const registerClient = () =>
		provider.Client.adapter.upsert(clientId, {
			client_id: clientId,
			client_secret: clientSecret,
			redirect_uris: [...redirectUris],
			grant_types: ["authorization_code", "refresh_token"],
			response_types: ["code"],
			// basic and post are interchangeable in oidc-provider; either is accepted.
			token_endpoint_auth_method: "client_secret_basic",
		});
	await registerClient();

	provider.use(countRequests(() => counters));
	provider.on("grant.revoked", () => {
		counters.grantsRevoked += 1;
	});

	const handle = provider.callback();
	server.on("request", (req, res) => {
		const path = new URL(req.url ?? "/", issuer).pathname;
		if (req.method !== "GET" || !path.startsWith("/interaction/")) {
			handle(req, res);
			return;
		}
		handleInteraction(provider, state, req, res).catch((error: unknown) => {
			if (!res.headersSent) {
				res.statusCode = 400;
				res.setHeader("content-type", "text/plain");
			}
			res.end(
				`interaction failed: ${error instanceof Error ? error.message : String(error)}`,
			);
		});
	});

	async function revokeGrantId(grantId: string): Promise<boolean> {
		if ((await provider.Grant.find(grantId)) === undefined) return false;
		// What oidc-provider itself does on reuse detection: drop every token of the grant,
		// then the grant.
		await Promise.all([
			provider.AccessToken.adapter.revokeByGrantId(grantId),
			provider.RefreshToken.adapter.revokeByGrantId(grantId),
			provider.AuthorizationCode.adapter.revokeByGrantId(grantId),
		]);
		await provider.Grant.adapter.destroy(grantId);
		counters.grantsRevoked += 1;
		return true;
	}

	return {
		issuer,
		url: issuer,
		endpoints: {
			authorizationEndpoint: `${issuer}/auth`,
			tokenEndpoint: `${issuer}/token`,
			revocationEndpoint: `${issuer}/token/revocation`,
			userinfoEndpoint: `${issuer}/me`,
			jwksUri: `${issuer}/jwks`,
		},
		clientId,
		clientSecret,
		get redirectUris() {
			return [...redirectUris];
		},
		get counters() {
			return counters;
		},
		resetCounters() {
			counters = emptyCounters();
		},
		login(account, loginOptions = {}) {
			state.nextLogin = { account, grantScopes: loginOptions.grantScopes };
		},
		async addRedirectUri(uri) {
			if (!redirectUris.includes(uri)) redirectUris.push(uri);
			await registerClient();
		},
		async revokeGrant(target) {
			let grantIds: string[];
			if ("account" in target) {
				grantIds = [...(state.grantsByAccount.get(target.account) ?? [])];
			} else {
				const token = await provider.RefreshToken.find(target.refreshToken);
				grantIds = token?.grantId === undefined ? [] : [token.grantId];
			}
			let revoked = 0;
			for (const grantId of grantIds) {
				if (await revokeGrantId(grantId)) revoked += 1;
			}
			return revoked;
		},
		close: () => closeServer(server),
	};
}
