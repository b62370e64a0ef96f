import type { Adapter, Configuration } from "oidc-provider";
import { developmentAccount } from "./account.ts";
import type { DevelopmentProviderKeys } from "./keys.ts";
import { errorPage } from "./pages.ts";
import { developmentScopeNames } from "./scopes.ts";

/** Leeway for clocks in ID tokens and the like: a few seconds, as at real providers. */
export const clockToleranceSeconds = 5;

export interface DevelopmentClient {
	clientId: string;
	/** Absent: a public client, relying on PKCE alone. */
	clientSecret: string | undefined;
	redirectUri: string;
}

/**
 * oidc-provider set up like a careful real provider, with lifetimes short enough to watch:
 * confidential client, PKCE required, refresh tokens always issued and rotated on use (reuse
 * revokes the grant), RFC 9207 `iss` in the authorization response (always on in v9),
 * revocation and userinfo. Every option whose default would print a "you SHOULD/MUST change
 * this" notice is set on purpose.
 */
export function providerConfiguration(input: {
	mountPath: string;
	client: DevelopmentClient;
	keys: DevelopmentProviderKeys;
	adapter: (model: string) => Adapter;
	accessTokenTtlSeconds: number;
}): Configuration {
	const { mountPath, client } = input;
	return {
		adapter: input.adapter,
		jwks: input.keys.jwks,
		clients: [
			{
				client_id: client.clientId,
				...(client.clientSecret === undefined
					? { token_endpoint_auth_method: "none" }
					: {
							client_secret: client.clientSecret,
							// basic and post are interchangeable in oidc-provider; either is accepted.
							token_endpoint_auth_method: "client_secret_basic",
						}),
				redirect_uris: [client.redirectUri],
				grant_types: ["authorization_code", "refresh_token"],
				response_types: ["code"],
			},
		],
		// Tether shares the origin, so the provider's cookies get names of their own and its
		// session cookie stays under the mount path.
		cookies: {
			keys: input.keys.cookieKeys,
			names: {
				session: "dev_oidc_session",
				interaction: "dev_oidc_interaction",
				resume: "dev_oidc_resume",
			},
			long: { httpOnly: true, sameSite: "lax", path: mountPath || "/" },
		},
		findAccount: async (_ctx, sub) => developmentAccount(sub),
		claims: {
			email: ["email", "email_verified"],
			profile: ["name", "preferred_username"],
		},
		// A scope listed here is one the consent page asks about, the grant records and the
		// token response's `scope` reports.
		scopes: developmentScopeNames,
		// The code flow only, as Tether uses it.
		responseTypes: ["code"],
		features: {
			devInteractions: { enabled: false },
			revocation: { enabled: true },
			userinfo: { enabled: true },
			rpInitiatedLogout: { enabled: false },
			// Off: scopes stay plain OIDC scopes on an opaque token, usable at userinfo, as at
			// most real providers, instead of being split per resource server.
			resourceIndicators: { enabled: false },
		},
		interactions: {
			url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}`,
		},
		// By default only `offline_access` with prompt=consent earns a refresh token.
		issueRefreshToken: () => true,
		// Each refresh returns a new refresh token; presenting a used one gets invalid_grant and
		// revokes the whole grant, so a client that loses a rotation shows up at once.
		rotateRefreshToken: true,
		// Refresh tokens outlive the browser session here, as at real providers.
		expiresWithSession: () => false,
		// Scope claims (email, name) in the ID token too, as Google does.
		conformIdTokenClaims: false,
		clockTolerance: clockToleranceSeconds,
		pkce: { required: () => true },
		ttl: {
			// Short, so the token refresh Tether does is something a newcomer gets to see.
			AccessToken: input.accessTokenTtlSeconds,
			AuthorizationCode: 60,
			IdToken: 3600,
			RefreshToken: 14 * 24 * 3600,
			Grant: 14 * 24 * 3600,
			Session: 14 * 24 * 3600,
			// Time to read the pages.
			Interaction: 3600,
		},
		renderError(ctx, out) {
			ctx.type = "html";
			ctx.body = errorPage({
				title: "Sign-in failed",
				message:
					typeof out.error_description === "string"
						? `${String(out.error)}: ${out.error_description}`
						: String(out.error),
			});
		},
		clientBasedCORS: () => false,
	};
}
