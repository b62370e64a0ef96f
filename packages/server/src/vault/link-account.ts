import {
	normalizeScopes,
	type ProviderProfile,
	type TokenSet,
} from "@tether/oauth";
import { newId } from "../auth/random.ts";
import { TetherError } from "../errors.ts";
import {
	type ConnectedAccountRow,
	StoreConflictError,
} from "../store/index.ts";
import type { VaultDeps } from "./deps.ts";
import type { RuntimeProvider } from "./providers.ts";
import { sealTokens, withRefreshTokenHash } from "./sealed-tokens.ts";

/** Compare-and-set retries before giving up on a row many writers are changing at once. */
const maxAttempts = 5;

/**
 * The scopes to store: what the provider says it granted (RFC 6749 §5.1), else what was asked for.
 * A provider that answers an upgrade with only the new scopes (no incremental consent) still holds
 * the old grant, so the stored set is the union.
 */
function grantedScopes(
	provider: RuntimeProvider,
	tokens: TokenSet,
	requested: string[],
	previous: string[],
): string[] {
	const granted =
		tokens.scope === undefined
			? requested
			: normalizeScopes(provider.entry, tokens.scope);
	const union =
		provider.entry.incrementalConsentParams === undefined
			? [...previous, ...granted]
			: granted;
	return normalizeScopes(provider.entry, union);
}

export interface StoredAccount {
	account: ConnectedAccountRow;
	created: boolean;
}

/**
 * Stores the result of a finished authorization: a new account, or fresh tokens and scopes on an
 * existing one. `userId` null means sign-in: the account's owner, or a new user. A `userId` means
 * linking: an account owned by someone else is refused without saying who owns it.
 */
export async function storeAuthorizedAccount(
	deps: VaultDeps,
	input: {
		provider: RuntimeProvider;
		profile: ProviderProfile;
		tokens: TokenSet;
		requestedScopes: string[];
		userId: string | null;
	},
): Promise<StoredAccount> {
	const { store, ring } = deps;
	const { provider, profile, tokens } = input;
	for (let attempt = 0; attempt < maxAttempts; attempt++) {
		const now = deps.now();
		const existing = await store.findConnectedAccount(provider.id, profile.id);
		if (existing === null) {
			const userId = input.userId ?? (await createUser(deps, profile, now));
			const id = newId("ca");
			const sealed = sealTokens(ring, id, tokens, now);
			const account = {
				id,
				userId,
				providerConfigId: provider.id,
				providerAccountId: profile.id,
				email: profile.email ?? null,
				displayName: profile.name ?? null,
				scopes: grantedScopes(provider, tokens, input.requestedScopes, []),
				tokenType: sealed.tokenType,
				accessTokenEnc: sealed.accessTokenEnc,
				refreshTokenEnc: sealed.refreshTokenEnc ?? null,
				refreshTokenHashes: withRefreshTokenHash([], sealed.refreshTokenHash),
				idTokenEnc: sealed.idTokenEnc ?? null,
				accessTokenExpiresAt: sealed.accessTokenExpiresAt,
				refreshTokenExpiresAt: null,
				status: "active" as const,
				lastRefreshError: null,
				lastRefreshAt: null,
				lastUsedAt: now,
				createdAt: now,
				updatedAt: now,
			};
			try {
				await store.insertConnectedAccount(account, {
					events: [
						{
							id: newId("evt"),
							type: "connected_account.linked",
							payload: {
								userId,
								provider: provider.id,
								providerAccountId: profile.id,
							},
							createdAt: now,
						},
					],
				});
			} catch (error) {
				// Another callback stored the same account a moment ago: treat it as existing.
				if (error instanceof StoreConflictError) continue;
				throw error;
			}
			const stored = await store.getConnectedAccount(id);
			if (stored === null) continue;
			recordLinked(deps, stored, input.userId === null, true);
			return { account: stored, created: true };
		}

		if (input.userId !== null && existing.userId !== input.userId) {
			throw new TetherError(
				"ACCOUNT_ALREADY_LINKED",
				"This provider account is already linked to another user.",
			);
		}
		const sealed = sealTokens(ring, existing.id, tokens, now);
		const updated = await store.updateConnectedAccount(
			existing.id,
			existing.version,
			{
				email: profile.email ?? existing.email,
				displayName: profile.name ?? existing.displayName,
				scopes: grantedScopes(
					provider,
					tokens,
					input.requestedScopes,
					existing.scopes,
				),
				tokenType: sealed.tokenType,
				accessTokenEnc: sealed.accessTokenEnc,
				accessTokenExpiresAt: sealed.accessTokenExpiresAt,
				// No refresh token in the answer: the one we hold is still the grant's (RFC 6749 §6).
				...(sealed.refreshTokenEnc === undefined
					? {}
					: {
							refreshTokenEnc: sealed.refreshTokenEnc,
							refreshTokenHashes: withRefreshTokenHash(
								existing.refreshTokenHashes,
								sealed.refreshTokenHash,
							),
						}),
				...(sealed.idTokenEnc === undefined
					? {}
					: { idTokenEnc: sealed.idTokenEnc }),
				status: "active",
				lastRefreshError: null,
				lastUsedAt: now,
			},
			now,
		);
		if (updated !== null) {
			recordLinked(deps, updated, input.userId === null, false);
			return { account: updated, created: false };
		}
	}
	throw new TetherError(
		"SERVICE_UNAVAILABLE",
		"The account is changing too fast; try again.",
		{
			headers: { "Retry-After": "1" },
		},
	);
}

/** Every authorization that stores tokens is audited: a new account, a sign-in again, an upgrade. */
function recordLinked(
	deps: VaultDeps,
	account: ConnectedAccountRow,
	signin: boolean,
	created: boolean,
) {
	deps.audit?.record({
		kind: "account.linked",
		userId: account.userId,
		provider: account.providerConfigId,
		providerAccountId: account.providerAccountId,
		reason: signin ? "signin" : "link",
		detail: { created, scopes: account.scopes },
	});
}

async function createUser(
	deps: VaultDeps,
	profile: ProviderProfile,
	now: number,
): Promise<string> {
	const id = newId("usr");
	await deps.store.insertUser({
		id,
		externalId: null,
		email: profile.emailVerified ? (profile.email ?? null) : null,
		displayName: profile.name ?? null,
		createdAt: now,
		updatedAt: now,
	});
	return id;
}
