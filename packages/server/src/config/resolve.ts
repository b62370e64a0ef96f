import type {
	ConfigFile,
	ProactiveRefreshConfig,
	ProviderConfig,
	RateLimitsConfig,
	WebhookConfig,
} from "./schema.ts";

/** A fully resolved configuration: what `createServer` runs with. */
export interface TetherConfig {
	mode: "production" | "development";
	baseUrl: string;
	database: string;
	encryptionKeys: string[];
	secretKeys: string[];
	allowedRedirectUrls: string[];
	allowInsecureProviders: boolean;
	exposeProviderRefreshTokens: boolean;
	refreshMarginSeconds: number;
	providerTimeoutSeconds: number;
	accessTokenCacheEntries: number;
	developmentProvider: boolean;
	providers: ProviderConfig[];
	webhooks: WebhookConfig[];
	proactiveRefresh: ProactiveRefreshConfig;
	/** Request budgets per client; `false`: none. Default: `defaultRateLimits` in schema.ts. */
	rateLimits: RateLimitsConfig | false;
	/** Proxies in front of Tether that append to `X-Forwarded-For`. Default 0 (the header is ignored). */
	trustProxy: number;
	/** The admin API's bearer secret; absent: admin API off in production, loopback-only in development. */
	adminSecret?: string;
	metrics: { public: boolean };
}

/** Thrown when configuration is invalid or unsafe; each problem names its field. */
export class ConfigError extends Error {
	override readonly name = "ConfigError";
	constructor(readonly problems: string[]) {
		super(`invalid Tether configuration:\n  - ${problems.join("\n  - ")}`);
	}
}

function splitList(value: string | undefined): string[] | undefined {
	if (value === undefined || value.trim() === "") return undefined;
	return value
		.split(",")
		.map((s) => s.trim())
		.filter((s) => s.length > 0);
}

/** Environment variables override secrets from the file, so secrets need not live in it. */
export function applyEnvironment(
	file: ConfigFile,
	env: Record<string, string | undefined>,
): TetherConfig {
	const mode = file.mode ?? "production";
	return {
		mode,
		baseUrl: file.baseUrl.replace(/\/+$/, ""),
		database: file.database,
		encryptionKeys:
			splitList(env.TETHER_ENCRYPTION_KEYS) ?? file.encryptionKeys ?? [],
		secretKeys: splitList(env.TETHER_SECRET_KEYS) ?? file.secretKeys ?? [],
		allowedRedirectUrls: file.allowedRedirectUrls,
		allowInsecureProviders: file.allowInsecureProviders,
		exposeProviderRefreshTokens: file.exposeProviderRefreshTokens,
		refreshMarginSeconds: file.refreshMarginSeconds,
		providerTimeoutSeconds: file.providerTimeoutSeconds,
		accessTokenCacheEntries: file.accessTokenCacheEntries,
		developmentProvider: file.developmentProvider ?? mode === "development",
		providers: file.providers.map((provider) =>
			withProviderSecrets(provider, env),
		),
		webhooks: file.webhooks,
		proactiveRefresh: file.proactiveRefresh,
		rateLimits: file.rateLimits,
		trustProxy: file.trustProxy,
		...adminSecretOf(env.TETHER_ADMIN_SECRET ?? file.adminSecret),
		metrics: file.metrics,
	};
}

/** The environment variable prefix of one provider's secrets: `TETHER_PROVIDER_GITHUB_WORK_`. */
export function providerEnvPrefix(id: string): string {
	return `TETHER_PROVIDER_${id.toUpperCase().replace(/-/g, "_")}_`;
}

function withProviderSecrets(
	provider: ProviderConfig,
	env: Record<string, string | undefined>,
): ProviderConfig {
	const prefix = providerEnvPrefix(provider.id);
	const clientSecret = env[`${prefix}CLIENT_SECRET`];
	const privateKey = env[`${prefix}PRIVATE_KEY`];
	return {
		...provider,
		...(clientSecret === undefined || clientSecret === ""
			? {}
			: { clientSecret }),
		...(provider.clientSecretJwt === undefined ||
		privateKey === undefined ||
		privateKey === ""
			? {}
			: { clientSecretJwt: { ...provider.clientSecretJwt, privateKey } }),
	};
}

function adminSecretOf(value: string | undefined): { adminSecret?: string } {
	return value === undefined || value === "" ? {} : { adminSecret: value };
}

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** True for hosts that never leave the machine. */
export function isLoopbackHost(hostname: string): boolean {
	return loopbackHosts.has(hostname) || hostname.startsWith("127.");
}

const endpointFields = [
	"issuer",
	"authorizationEndpoint",
	"tokenEndpoint",
	"userinfoEndpoint",
	"revocationEndpoint",
] as const;

/**
 * Checks that apply in every mode (a provider id used twice, insecure endpoints) and, in
 * production, the unsafe settings SPEC.md lists. Returns the problems; empty means fine.
 */
export function findProblems(config: TetherConfig): string[] {
	const problems: string[] = [];
	const seen = new Set<string>();
	config.providers.forEach((provider, index) => {
		if (seen.has(provider.id))
			problems.push(`providers[${index}].id: "${provider.id}" is used twice`);
		seen.add(provider.id);
		for (const field of endpointFields) {
			const value = provider[field];
			if (value === undefined) continue;
			const url = new URL(value);
			if (url.protocol === "https:") continue;
			const allowed =
				url.protocol === "http:" &&
				config.allowInsecureProviders &&
				isLoopbackHost(url.hostname);
			if (!allowed) {
				problems.push(
					`providers[${index}].${field}: must be https:// (http:// is accepted only on loopback with allowInsecureProviders)`,
				);
			}
		}
	});
	config.webhooks.forEach((hook, index) => {
		const url = new URL(hook.url);
		const insecureOk =
			config.allowInsecureProviders && isLoopbackHost(url.hostname);
		if (
			url.protocol !== "https:" &&
			!(url.protocol === "http:" && insecureOk)
		) {
			problems.push(
				`webhooks[${index}].url: must be https:// (http:// only on loopback with allowInsecureProviders)`,
			);
		}
	});
	config.allowedRedirectUrls.forEach((entry, index) => {
		const url = new URL(entry);
		if (url.protocol !== "https:" && url.protocol !== "http:") {
			problems.push(`allowedRedirectUrls[${index}]: must be an http(s) URL`);
		}
	});
	if (
		!config.database.startsWith("sqlite:") &&
		!/^postgres(ql)?:\/\//.test(config.database)
	) {
		problems.push('database: must be "sqlite:<path>" or a postgres:// URL');
	}
	config.secretKeys.forEach((key, index) => {
		if (!/^tsk_[A-Za-z0-9_-]{32,}$/.test(key)) {
			problems.push(
				`secretKeys[${index}]: must be "tsk_" followed by at least 32 random URL-safe characters`,
			);
		}
	});

	if (config.mode === "production") {
		if (config.encryptionKeys.length === 0) {
			problems.push(
				"encryptionKeys: production needs at least one key (or TETHER_ENCRYPTION_KEYS)",
			);
		}
		if (config.allowedRedirectUrls.length === 0) {
			problems.push(
				"allowedRedirectUrls: production needs at least one allowed redirect URL",
			);
		}
		if (config.developmentProvider) {
			problems.push(
				"developmentProvider: the development provider cannot run in production",
			);
		}
		const base = new URL(config.baseUrl);
		if (base.protocol !== "https:" && !isLoopbackHost(base.hostname)) {
			problems.push("baseUrl: production needs https:// outside loopback");
		}
		if (config.adminSecret !== undefined && config.adminSecret.length < 32) {
			problems.push(
				"adminSecret: production needs at least 32 characters (or TETHER_ADMIN_SECRET)",
			);
		}
	}
	return problems;
}
