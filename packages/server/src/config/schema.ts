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
			),
		/** A catalog entry (`google`, `github`, …), or `oidc` (discovery) / `oauth2` (explicit endpoints). */
		type: z.string().min(1),
		clientId: z.string().min(1),
		clientSecret: z.string().min(1).optional(),
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
		/** The embedded development OIDC provider. Default: on in development, refused in production. */
		developmentProvider: z.boolean().optional(),
		providers: z.array(providerConfigSchema).default([]),
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
	})
	.strict();

export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
export type WebhookConfig = ConfigFile["webhooks"][number];
export type ProactiveRefreshConfig = ConfigFile["proactiveRefresh"];
