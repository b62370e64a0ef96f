import { z } from "zod";

/**
 * The config file's contract (SPEC.md, "The config contract"). Tools and tests outside the code
 * rely on these names: extend, never rename. Every default is stated here, once.
 */

const seconds = z.number().int().positive();

export const providerConfigSchema = z
	.object({
		/** Operator-chosen id, used in URLs (`/v1/signin/provider/<id>`). */
		id: z
			.string()
			.regex(
				/^[a-z0-9][a-z0-9_-]{0,63}$/,
				"must be lowercase letters, digits, '-' or '_' (at most 64)",
			)
			// `POST /v1/link/complete` shares the `/v1/link/<id>` space.
			.refine((id) => id !== "complete", '"complete" is reserved'),
		/** A catalog entry (`google`, `github`, …), or `oidc` (discovery) / `oauth2` (explicit endpoints). */
		type: z.string().min(1),
		clientId: z.string().min(1),
		/** Also `TETHER_PROVIDER_<ID>_CLIENT_SECRET` (id upper-cased, `-` as `_`), which wins. */
		clientSecret: z.string().min(1).optional(),
		/**
		 * For providers whose client secret is a JWT signed with the developer's key (Apple): Tether
		 * signs a short-lived one itself. `privateKey` is the PKCS#8 PEM (Apple's `.p8` file); also
		 * `TETHER_PROVIDER_<ID>_PRIVATE_KEY`, which wins.
		 */
		clientSecretJwt: z
			.object({
				teamId: z.string().min(1),
				keyId: z.string().min(1),
				privateKey: z.string().min(1).optional(),
			})
			.strict()
			.optional(),
		/** Scopes requested on every sign-in with this provider. Default: the catalog entry's. */
		scopes: z.array(z.string().min(1)).optional(),
		/** `oidc`: the issuer whose discovery document describes the endpoints. */
		issuer: z.string().url().optional(),
		/** `oauth2` (or overrides for any type). */
		authorizationEndpoint: z.string().url().optional(),
		tokenEndpoint: z.string().url().optional(),
		userinfoEndpoint: z.string().url().optional(),
		revocationEndpoint: z.string().url().optional(),
		/** Extra query parameters for the authorization request. */
		params: z.record(z.string(), z.string()).optional(),
		refreshMarginSeconds: seconds.optional(),
		providerTimeoutSeconds: seconds.optional(),
	})
	.strict();

/** `requests` per `perSeconds`, as a token bucket: bursts up to `requests`, refilled evenly. */
const rateLimitSchema = z
	.object({
		requests: z.number().int().positive(),
		perSeconds: seconds,
	})
	.strict();

/**
 * Per-client request budgets (429 `RATE_LIMITED` with `Retry-After`). Each limit may be `false` to
 * switch it off, and `rateLimits: false` switches them all off. Buckets are per process: with
 * several Tether processes a client's budget is multiplied by their number.
 */
export const defaultRateLimits = {
	/** Sign-in start and link start, per client IP. */
	signin: { requests: 60, perSeconds: 60 },
	/** Provider callbacks (GET and POST), per client IP. */
	callback: { requests: 60, perSeconds: 60 },
	/** `POST /v1/token/exchange` and `POST /v1/token`, per client IP. */
	token: { requests: 120, perSeconds: 60 },
	/** Authenticated API calls with a session, per user: generous, for apps that poll. */
	api: { requests: 1200, perSeconds: 60 },
	/**
	 * Calls with the secret key (the app backend, acting for all its users at once). Off by default:
	 * one budget for the whole app would throttle it; set one to cap a runaway backend.
	 */
	secretKey: false,
	/** Clients tracked per limit; idle ones are forgotten first. */
	maxClients: 100_000,
} as const;

const rateLimitOrOff = z.union([z.literal(false), rateLimitSchema]);

export const configFileSchema = z
	.object({
		mode: z.enum(["production", "development"]).optional(),
		/** Public URL of this Tether; each provider's redirect URI is `<baseUrl>/v1/signin/provider/<id>/callback`. */
		baseUrl: z.string().url(),
		/** `sqlite:<path>` (relative to the working directory) or a `postgres://` URL. */
		database: z.string().min(1),
		/** `"<keyId>:<base64 of 32 bytes>"`; the first encrypts, all decrypt. Also `TETHER_ENCRYPTION_KEYS`. */
		encryptionKeys: z.array(z.string()).optional(),
		/** App-backend keys (`tsk_…`). Also `TETHER_SECRET_KEYS`. */
		secretKeys: z.array(z.string()).optional(),
		/** `redirectTo` must start with one of these at an origin-and-path boundary. */
		allowedRedirectUrls: z.array(z.string().url()).default([]),
		/** Lets `http://` provider endpoints on loopback through (tests and local development). Default false. */
		allowInsecureProviders: z.boolean().default(false),
		/** Serve provider refresh tokens through the guide's two endpoints. Default true. */
		exposeProviderRefreshTokens: z.boolean().default(true),
		/** A token expiring within this many seconds is refreshed first. Default 300. */
		refreshMarginSeconds: seconds.default(300),
		/** A provider request slower than this counts as an outage. Default 10. */
		providerTimeoutSeconds: seconds.default(10),
		/**
		 * How many accounts' access tokens a process keeps decrypted in memory for repeat requests
		 * (exact: any process's change to an account drops its entry). 0 keeps none. Default 10000.
		 */
		accessTokenCacheEntries: z
			.number()
			.int()
			.min(0)
			.max(1_000_000)
			.default(10_000),
		/** The embedded development OIDC provider. Default: on in development, refused in production. */
		developmentProvider: z.boolean().optional(),
		providers: z.array(providerConfigSchema).default([]),
		/**
		 * Bearer secret for the admin API (`/v1/admin/*`) and, in production, `/metrics`; at least 32
		 * characters in production. Also `TETHER_ADMIN_SECRET`. Default none: in production the admin
		 * API is then off, in development it answers only connections from this machine.
		 */
		adminSecret: z.string().min(1).optional(),
		/** `GET /metrics` (Prometheus text). */
		metrics: z
			.object({
				/**
				 * Serve metrics without the admin secret in production (a scraper on a private network).
				 * Default false. Development always serves them openly.
				 */
				public: z.boolean().default(false),
			})
			.strict()
			.default({ public: false }),
		/** Where account events (`connected_account.linked`, `.unlinked`, `.reauth_required`) are POSTed, signed per Standard Webhooks. */
		webhooks: z
			.array(
				z
					.object({
						url: z.string().url(),
						/** `whsec_<base64>`, as Standard Webhooks libraries expect. */
						secret: z
							.string()
							.regex(
								/^whsec_[A-Za-z0-9+/=]{24,}$/,
								'must be "whsec_" followed by a base64 key',
							),
						/** Event types to send; default all. */
						events: z.array(z.string()).optional(),
					})
					.strict(),
			)
			.default([]),
		/** Background refresh of tokens about to expire, for accounts used recently. */
		proactiveRefresh: z
			.object({
				/** Default true. */
				enabled: z.boolean().default(true),
				/** How often each process looks for work. Default 30. */
				intervalSeconds: seconds.default(30),
				/** Refresh tokens expiring within the refresh margin plus this. Default 120. */
				lookaheadSeconds: seconds.default(120),
				/** Only accounts used within this window. Default 7 days. */
				usedWithinSeconds: seconds.default(7 * 24 * 3600),
				/** Accounts claimed per pass. Default 50. */
				batchSize: z.number().int().min(1).max(1000).default(50),
			})
			.strict()
			.default({
				enabled: true,
				intervalSeconds: 30,
				lookaheadSeconds: 120,
				usedWithinSeconds: 7 * 24 * 3600,
				batchSize: 50,
			}),
		/** Request budgets; see `defaultRateLimits` for each limit and its default. `false`: no limits. */
		rateLimits: z
			.union([
				z.literal(false),
				z
					.object({
						signin: rateLimitOrOff.default(defaultRateLimits.signin),
						callback: rateLimitOrOff.default(defaultRateLimits.callback),
						token: rateLimitOrOff.default(defaultRateLimits.token),
						api: rateLimitOrOff.default(defaultRateLimits.api),
						secretKey: rateLimitOrOff.default(defaultRateLimits.secretKey),
						maxClients: z
							.number()
							.int()
							.min(100)
							.default(defaultRateLimits.maxClients),
					})
					.strict(),
			])
			.default(defaultRateLimits),
		/**
		 * How many proxies in front of Tether append to `X-Forwarded-For`; the client address for rate
		 * limits is then the n-th from the right. Default 0: the socket's peer address, the header
		 * ignored (anyone can write it).
		 */
		trustProxy: z.number().int().min(0).max(16).default(0),
	})
	.strict();

export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
export type WebhookConfig = ConfigFile["webhooks"][number];
export type ProactiveRefreshConfig = ConfigFile["proactiveRefresh"];
export type RateLimitsConfig = Exclude<ConfigFile["rateLimits"], false>;
export type RateLimit = z.infer<typeof rateLimitSchema>;
