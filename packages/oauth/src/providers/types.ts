import type { ClientAuthMethod } from "../client-auth.ts";
import type { ProviderEndpoints } from "../endpoints.ts";
import type { ErrorKinds } from "../failure.ts";
import type { JsonObject } from "../response-body.ts";

/**
 * One provider of the built-in catalog, as data. The server reads these fields and never branches
 * on a provider's name: every quirk a provider has is a field here.
 */
export interface CatalogEntry {
	/** Catalog key used as `type` in the config (`google`, `github`, …). */
	type: string;
	/** Human name for pages and logs. */
	displayName: string;
	/**
	 * `oidc`: ID tokens are validated and identity comes from their claims (userinfo fills gaps).
	 * `oauth2`: identity comes from `profile`.
	 */
	protocol: "oidc" | "oauth2";
	/**
	 * Fixed issuer for discovery and ID-token validation (`https://accounts.google.com`). Entries
	 * whose issuer depends on configuration (generic `oidc`, Microsoft tenants, self-hosted GitLab)
	 * leave it out and take `issuer` from the provider config.
	 */
	issuer?: string;
	/**
	 * For multi-tenant issuers (Microsoft's `common`): the ID token's `iss` must equal this
	 * template with `{tenantid}` replaced by the token's own `tid` claim. Used only when neither
	 * the entry nor the config names a fixed issuer; the signature check through the JWKS is what
	 * makes trusting the unverified `tid` for this lookup safe.
	 */
	issuerTemplate?: string;
	/** Known endpoints; discovery (when there is an issuer) fills the ones left out. */
	endpoints: Partial<ProviderEndpoints>;
	/** Requested when the config names no scopes. */
	defaultScopes: string[];
	/** Joins scopes in the authorization request and splits the granted `scope` (RFC 6749 says " "). */
	scopeSeparator: " " | ",";
	/**
	 * The authorization parameter that carries the scopes; default `scope`. Slack's v2 flow takes
	 * user-token scopes in `user_scope` (`scope` there asks for a bot token).
	 */
	scopeParam?: string;
	/**
	 * Scopes that include others, so a grant of `repo` covers a request for `public_repo`
	 * (GitHub collapses such pairs into the wider scope when it grants them).
	 */
	scopeImplies?: Readonly<Record<string, readonly string[]>>;
	/**
	 * Canonical form of a scope for comparisons, so an app asking for `email` matches a grant of
	 * `https://www.googleapis.com/auth/userinfo.email`. Default: the scope unchanged.
	 */
	normalizeScope?: (scope: string) => string;
	/** How to get a refresh token. */
	offlineAccess: {
		/** Added to the requested scopes (`offline_access`). */
		scopes?: string[];
		/** Added to every authorization request (`access_type=offline`). */
		params?: Record<string, string>;
		/**
		 * Added only when Tether holds no refresh token for the account yet (Google's
		 * `prompt=consent`, which otherwise re-prompts on every sign-in).
		 */
		paramsWhenNoRefreshToken?: Record<string, string>;
	};
	/**
	 * Added to every authorization request, for needs other than offline access (Notion's
	 * `owner=user`, Twitch's `claims`).
	 */
	authorizationParams?: Record<string, string>;
	/** Parameters that ask the provider to keep earlier grants when adding scopes (Google's `include_granted_scopes=true`). */
	incrementalConsentParams?: Record<string, string>;
	/** The authorization parameter that pre-selects an account when upgrading it (`login_hint`). */
	loginHintParam?: string;
	/** The provider accepts PKCE (RFC 7636); Tether then always sends S256. */
	pkce: boolean;
	clientAuth: ClientAuthMethod;
	/** Apple posts the callback (`response_mode=form_post`). */
	responseMode?: "query" | "form_post";
	/** Extra headers for the token endpoint (GitHub needs `Accept: application/json`). */
	tokenHeaders?: Record<string, string>;
	/**
	 * Pure: rewrites the token endpoint's parsed body into the RFC 6749 §5.1/§5.2 shape before it
	 * is processed (Slack nests the user token in `authed_user`, Bitbucket names the granted
	 * scopes `scopes`, GitHub joins them with commas). Applied by `withTokenQuirks`.
	 */
	adaptTokenBody?: (body: JsonObject) => JsonObject;
	/** Provider-specific error codes and their class (GitHub's `bad_refresh_token` is permanent). */
	errorKinds?: ErrorKinds;
	/** Tokens may come without `expires_in` and never expire (GitHub OAuth apps, Notion, Slack bots). */
	tokensMayNotExpire?: boolean;
	/** How to revoke a token when an account is unlinked. */
	revocation:
		| { method: "rfc7009" }
		| {
				/** The provider's own API; `build` makes the request from the token and client credentials. */
				method: "custom";
				build: (input: {
					token: string;
					clientId: string;
					clientSecret?: string;
				}) => Request;
				/** Statuses that mean "revoked" (or already gone). */
				okStatuses: number[];
		  }
		| { method: "none" };
	/** Where the account id, email, email-verified and name come from when there is no ID token. */
	profile?: {
		/** Requested with `Authorization: Bearer <access token>`. */
		url: string;
		/** Default `GET`; Dropbox's RPC-style API only answers `POST`. */
		method?: "GET" | "POST";
		headers?: Record<string, string>;
		/** Pure: the response body → profile, or null when the body lacks an id. */
		read: (body: JsonObject) => ProviderProfile | null;
		/** A second call for the email when the profile lacks a verified one (GitHub's `/user/emails`). */
		emails?: {
			url: string;
			read: (body: unknown) => { email: string; verified: boolean } | null;
		};
	};
	/** Apple's client secret is an ES256 JWT the client signs itself. */
	clientSecretJwt?: boolean;
}

/** The provider's stable account id and what it says about the person. */
export interface ProviderProfile {
	/** Stable subject id (`sub`, GitHub's numeric id as a string); never the email. */
	id: string;
	email?: string;
	emailVerified: boolean;
	name?: string;
}
