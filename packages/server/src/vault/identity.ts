import {
	buildProfileRequest,
	type FetchFn,
	fetchUserinfo,
	type ProviderProfile,
	readJsonAnswer,
	sendRequest,
	type TokenSet,
	validateIdToken,
} from "@tether/oauth";
import { TetherError } from "../errors.ts";
import type { RuntimeProvider } from "./providers.ts";

function unavailable(provider: RuntimeProvider, error: string): TetherError {
	return new TetherError(
		"PROVIDER_UNAVAILABLE",
		`Provider "${provider.id}" did not say who signed in.`,
		{
			details: { provider: provider.id, error },
			headers: { "Retry-After": "5" },
		},
	);
}

function stringClaim(
	claims: Record<string, unknown>,
	key: string,
): string | undefined {
	const value = claims[key];
	return typeof value === "string" && value !== "" ? value : undefined;
}

// Some providers send `email_verified` as the string "true".
function booleanClaim(claims: Record<string, unknown>, key: string): boolean {
	const value = claims[key];
	return value === true || value === "true";
}

/**
 * Who the tokens belong to. OIDC entries: the ID token, fully validated (signature, issuer,
 * audience, expiry, nonce) — the identity never comes from an unverified source. OAuth 2.0
 * entries: the entry's profile endpoint read with the new access token.
 */
export async function readIdentity(input: {
	provider: RuntimeProvider;
	tokens: TokenSet;
	nonce: string | null;
	fetch: FetchFn;
	now: () => number;
}): Promise<ProviderProfile> {
	const { provider, tokens } = input;
	const { entry } = provider;
	const endpoints = await provider.endpoints();

	if (entry.protocol === "oidc") {
		if (tokens.idToken === undefined || provider.idTokenIssuer === undefined) {
			throw new TetherError(
				"INVALID_REQUEST",
				"The provider sent no ID token.",
				{
					details: { provider: provider.id, reason: "id_token_missing" },
				},
			);
		}
		const result = await validateIdToken({
			idToken: tokens.idToken,
			issuer: provider.idTokenIssuer,
			clientId: provider.clientId,
			jwks: await provider.jwks(),
			...(input.nonce === null ? {} : { nonce: input.nonce }),
			now: () => new Date(input.now()),
		});
		if (!result.ok) {
			if (result.problem === "keys_unavailable")
				throw unavailable(provider, "jwks_unavailable");
			throw new TetherError(
				"INVALID_REQUEST",
				"The provider's ID token did not validate.",
				{
					details: {
						provider: provider.id,
						reason: `id_token_${result.problem}`,
					},
				},
			);
		}
		const claims: Record<string, unknown> = result.claims;
		const profile: ProviderProfile = {
			id: result.claims.sub,
			emailVerified: booleanClaim(claims, "email_verified"),
		};
		let email = stringClaim(claims, "email");
		let name = stringClaim(claims, "name");
		// Providers may keep email and name out of the ID token; userinfo has them.
		if (
			(email === undefined || name === undefined) &&
			endpoints.userinfoEndpoint !== undefined
		) {
			const info = await fetchUserinfo(
				{ endpoints, accessToken: tokens.accessToken },
				{ fetch: input.fetch, timeoutMs: provider.timeoutMs },
			);
			// OIDC Core §5.3.2: userinfo's `sub` must equal the ID token's, or the answer is ignored.
			if (info.ok && info.claims.sub === profile.id) {
				email ??= stringClaim(info.claims, "email");
				name ??= stringClaim(info.claims, "name");
				if (!profile.emailVerified)
					profile.emailVerified = booleanClaim(info.claims, "email_verified");
			}
		}
		if (email !== undefined) profile.email = email;
		if (name !== undefined) profile.name = name;
		return profile;
	}

	const source = entry.profile;
	const url = endpoints.userinfoEndpoint ?? source?.url;
	if (source === undefined || url === undefined) {
		throw new TetherError(
			"INVALID_REQUEST",
			`Provider "${provider.id}" has no way to read the account id.`,
		);
	}
	const body = await getJson(
		url,
		tokens.accessToken,
		source,
		input.fetch,
		provider.timeoutMs,
	);
	if (typeof body !== "object" || body === null || Array.isArray(body)) {
		throw unavailable(provider, "profile_unavailable");
	}
	const profile = source.read({ ...body });
	if (profile === null) throw unavailable(provider, "profile_without_id");
	if (
		(profile.email === undefined || !profile.emailVerified) &&
		source.emails !== undefined
	) {
		const emails = await getJson(
			source.emails.url,
			tokens.accessToken,
			source,
			input.fetch,
			provider.timeoutMs,
		);
		const primary = emails === undefined ? null : source.emails.read(emails);
		if (primary !== null) {
			profile.email = primary.email;
			profile.emailVerified = primary.verified;
		}
	}
	return profile;
}

async function getJson(
	url: string,
	accessToken: string,
	source: NonNullable<RuntimeProvider["entry"]["profile"]>,
	fetchFn: FetchFn,
	timeoutMs: number,
): Promise<unknown> {
	const request = buildProfileRequest({
		url,
		accessToken,
		...(source.method === undefined ? {} : { method: source.method }),
		...(source.headers === undefined ? {} : { headers: source.headers }),
	});
	return readJsonAnswer(
		await sendRequest(request, { fetch: fetchFn, timeoutMs }),
	);
}
