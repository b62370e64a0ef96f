import {
	type CatalogEntry,
	type ClientCredentials,
	createRemoteJwks,
	discover,
	type FetchFn,
	getCatalogEntry,
	type ProviderEndpoints,
	withTokenQuirks,
} from "@tether/oauth";
import type { JWTVerifyGetKey } from "jose";
import {
	ConfigError,
	type ProviderConfig,
	type TetherConfig,
} from "../config/index.ts";
import { TetherError } from "../errors.ts";
import { createClientCredentials } from "./client-credentials.ts";

/** A configured provider joined with its catalog entry: everything a flow or refresh needs. */
export interface RuntimeProvider {
	id: string;
	entry: CatalogEntry;
	clientId: string;
	/** What to present at the token and revocation endpoints (a signed JWT is renewed as it ages). */
	credentials(): ClientCredentials;
	/** Configured scopes, else the catalog's defaults. */
	scopes: string[];
	params: Record<string, string>;
	redirectUri: string;
	/** The issuer of discovery and RFC 9207 checks; absent for multi-tenant authorities. */
	issuer: string | undefined;
	/** What ID tokens' `iss` must be (OIDC entries): the issuer, or the entry's tenant template. */
	idTokenIssuer: string | { template: string } | undefined;
	timeoutMs: number;
	refreshMarginMs: number;
	/** For token-endpoint calls: the network with the entry's quirks applied (headers, odd bodies). */
	tokenFetch: FetchFn;
	/** Endpoints, with discovery done once and cached; an unreachable provider is `PROVIDER_UNAVAILABLE`. */
	endpoints(): Promise<ProviderEndpoints>;
	/** The provider's signing keys (OIDC), cached by jose. */
	jwks(): Promise<JWTVerifyGetKey>;
}

export interface ProviderRegistry {
	get(id: string): RuntimeProvider | undefined;
	/** `PROVIDER_NOT_FOUND` for an id the config does not name. */
	require(id: string): RuntimeProvider;
	list(): RuntimeProvider[];
}

/** Retry discovery at most this often after a failure, so a dead provider is not hammered. */
const discoveryRetryMs = 5_000;

function explicitEndpoints(
	config: ProviderConfig,
	entry: CatalogEntry,
): Partial<ProviderEndpoints> {
	// The catalog's endpoints belong to the catalog's issuer. A config naming another issuer (a
	// self-managed GitLab) gets that issuer's discovered endpoints instead, plus its own overrides.
	const catalogIssuer =
		config.issuer === undefined || config.issuer === entry.issuer;
	const endpoints: Partial<ProviderEndpoints> = catalogIssuer
		? { ...entry.endpoints }
		: {};
	if (config.authorizationEndpoint !== undefined)
		endpoints.authorizationEndpoint = config.authorizationEndpoint;
	if (config.tokenEndpoint !== undefined)
		endpoints.tokenEndpoint = config.tokenEndpoint;
	if (config.userinfoEndpoint !== undefined)
		endpoints.userinfoEndpoint = config.userinfoEndpoint;
	if (config.revocationEndpoint !== undefined)
		endpoints.revocationEndpoint = config.revocationEndpoint;
	return endpoints;
}

function isComplete(
	endpoints: Partial<ProviderEndpoints>,
): endpoints is ProviderEndpoints {
	return (
		endpoints.authorizationEndpoint !== undefined &&
		endpoints.tokenEndpoint !== undefined
	);
}

function createRuntimeProvider(
	config: ProviderConfig,
	index: number,
	tether: TetherConfig,
	fetchFn: FetchFn,
	now: () => number,
): RuntimeProvider {
	const entry = getCatalogEntry(config.type);
	if (entry === undefined) {
		throw new ConfigError([
			`providers[${index}].type: "${config.type}" is not in the provider catalog`,
		]);
	}
	const issuer = config.issuer ?? entry.issuer;
	const known = explicitEndpoints(config, entry);
	if (issuer === undefined && !isComplete(known)) {
		throw new ConfigError([
			`providers[${index}]: type "${config.type}" needs "issuer" (discovery) or "authorizationEndpoint" and "tokenEndpoint"`,
		]);
	}
	const idTokenIssuer =
		issuer ??
		(entry.issuerTemplate === undefined
			? undefined
			: { template: entry.issuerTemplate });
	if (entry.protocol === "oidc" && idTokenIssuer === undefined) {
		throw new ConfigError([
			`providers[${index}].issuer: type "${config.type}" validates ID tokens and needs an issuer`,
		]);
	}
	const timeoutMs =
		(config.providerTimeoutSeconds ?? tether.providerTimeoutSeconds) * 1000;

	let resolved: ProviderEndpoints | undefined =
		issuer === undefined && isComplete(known) ? known : undefined;
	let pending: Promise<ProviderEndpoints> | undefined;
	let lastFailure = 0;
	let keys: JWTVerifyGetKey | undefined;

	async function resolveEndpoints(): Promise<ProviderEndpoints> {
		if (issuer === undefined)
			throw new Error(
				"unreachable: endpoints without issuer are resolved up front",
			);
		const result = await discover(issuer, { fetch: fetchFn, timeoutMs });
		if (!result.ok) {
			lastFailure = Date.now();
			throw new TetherError(
				"PROVIDER_UNAVAILABLE",
				`Provider "${config.id}" could not be reached.`,
				{
					details: { provider: config.id, error: result.failure.error },
					headers: {
						"Retry-After": String(Math.ceil(discoveryRetryMs / 1000)),
					},
				},
			);
		}
		// Explicit catalog/config endpoints win over discovery: the catalog knows the provider's quirks.
		resolved = { ...result.metadata, ...known, issuer };
		return resolved;
	}

	const provider: RuntimeProvider = {
		id: config.id,
		entry,
		clientId: config.clientId,
		credentials: createClientCredentials({
			config,
			index,
			entry,
			audience: issuer,
			now,
		}),
		scopes: config.scopes ?? entry.defaultScopes,
		params: config.params ?? {},
		redirectUri: `${tether.baseUrl}/v1/signin/provider/${config.id}/callback`,
		issuer,
		idTokenIssuer,
		timeoutMs,
		refreshMarginMs:
			(config.refreshMarginSeconds ?? tether.refreshMarginSeconds) * 1000,
		tokenFetch: withTokenQuirks(entry, fetchFn),
		async endpoints() {
			if (resolved !== undefined) return resolved;
			if (pending === undefined) {
				if (Date.now() - lastFailure < discoveryRetryMs) {
					throw new TetherError(
						"PROVIDER_UNAVAILABLE",
						`Provider "${config.id}" could not be reached.`,
						{
							details: { provider: config.id },
							headers: {
								"Retry-After": String(Math.ceil(discoveryRetryMs / 1000)),
							},
						},
					);
				}
				pending = resolveEndpoints().finally(() => {
					pending = undefined;
				});
			}
			return pending;
		},
		async jwks() {
			if (keys !== undefined) return keys;
			const { jwksUri } = await provider.endpoints();
			if (jwksUri === undefined) {
				throw new TetherError(
					"PROVIDER_UNAVAILABLE",
					`Provider "${config.id}" publishes no signing keys.`,
					{
						details: { provider: config.id },
					},
				);
			}
			keys = createRemoteJwks(jwksUri, { fetch: fetchFn, timeoutMs });
			return keys;
		},
	};
	return provider;
}

/** Builds every configured provider up front, so a config naming an unknown type fails at start. */
export function createProviderRegistry(input: {
	config: TetherConfig;
	providers?: ProviderConfig[];
	fetch: FetchFn;
	/** Default `Date.now`. */
	now?: () => number;
}): ProviderRegistry {
	const now = input.now ?? Date.now;
	const list = (input.providers ?? input.config.providers).map(
		(provider, index) =>
			createRuntimeProvider(provider, index, input.config, input.fetch, now),
	);
	const byId = new Map(list.map((provider) => [provider.id, provider]));
	return {
		get: (id) => byId.get(id),
		require(id) {
			const provider = byId.get(id);
			if (provider === undefined)
				throw new TetherError("PROVIDER_NOT_FOUND", "No such provider.");
			return provider;
		},
		list: () => list,
	};
}
