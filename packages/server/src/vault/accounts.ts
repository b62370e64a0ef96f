import type { ConnectedAccount, User } from "@tether/api";
import { newId } from "../auth/random.ts";
import { encrypt } from "../crypto/index.ts";
import { TetherError } from "../errors.ts";
import type { ConnectedAccountRow, NewRevocation } from "../store/index.ts";
import type { VaultDeps } from "./deps.ts";
import { openAccessToken, openRefreshToken } from "./sealed-tokens.ts";
import { toConnectedAccount, toUser } from "./views.ts";

const accountNotFound = () =>
	new TetherError("CONNECTED_ACCOUNT_NOT_FOUND", "No such connected account.");

export async function getUserView(
	deps: VaultDeps,
	userId: string,
): Promise<User> {
	const user = await deps.store.getUser(userId);
	if (user === null) throw new TetherError("USER_NOT_FOUND", "No such user.");
	return toUser(user, await deps.store.listConnectedAccounts(userId));
}

export async function listAccounts(
	deps: VaultDeps,
	userId: string,
): Promise<ConnectedAccount[]> {
	return (await deps.store.listConnectedAccounts(userId)).map(
		toConnectedAccount,
	);
}

/**
 * The account, only if it belongs to `userId`. Someone else's account is "not found", exactly as a
 * missing one, so ids cannot be probed. With `resolveUser` (`userId` is a name the secret key gave,
 * maybe an external id), the name is resolved only when the owner is not `userId` itself: an
 * unknown user is still reported as one.
 */
export async function findOwnedAccount(
	deps: VaultDeps,
	input: {
		userId: string;
		resolveUser?: () => Promise<string>;
		provider: string;
		providerAccountId: string;
	},
): Promise<ConnectedAccountRow> {
	const row = await deps.store.findConnectedAccount(
		input.provider,
		input.providerAccountId,
	);
	if (row !== null && row.userId === input.userId) return row;
	const owner =
		input.resolveUser === undefined ? input.userId : await input.resolveUser();
	if (row === null || row.userId !== owner) throw accountNotFound();
	return row;
}

/**
 * Unlinks: the row and its tokens go at once; revoking them at the provider is queued in the same
 * transaction and retried until the provider confirms (a provider outage cannot keep tokens alive
 * here, and cannot lose the revocation either).
 */
export async function unlinkAccount(
	deps: VaultDeps,
	input: {
		userId: string;
		provider: string;
		providerAccountId: string;
		/** Who asked, for the audit log, when it is not the user or app (the admin API). */
		by?: "admin";
	},
): Promise<void> {
	const row = await findOwnedAccount(deps, input);
	const now = deps.now();
	const revocations: NewRevocation[] = [];
	const provider = deps.providers.get(row.providerConfigId);
	if (provider !== undefined && provider.entry.revocation.method !== "none") {
		const queue = (
			token: string | null,
			tokenTypeHint: NewRevocation["tokenTypeHint"],
		) => {
			if (token === null) return;
			const id = newId("rev");
			revocations.push({
				id,
				providerConfigId: row.providerConfigId,
				tokenEnc: encrypt(deps.ring, token, {
					table: "revocations",
					rowId: id,
					field: "token_enc",
				}),
				tokenTypeHint,
				nextAttemptAt: now,
				createdAt: now,
			});
		};
		// Revoking the refresh token ends the whole grant at RFC 7009 providers; the access token is
		// revoked too for providers that only know access tokens (GitHub's grant API takes one).
		queue(openRefreshToken(deps.ring, row), "refresh_token");
		queue(openAccessToken(deps.ring, row), "access_token");
	}
	const deleted = await deps.store.deleteConnectedAccount(row.id, {
		revocations,
		events: [
			{
				id: newId("evt"),
				type: "connected_account.unlinked",
				payload: {
					userId: row.userId,
					provider: row.providerConfigId,
					providerAccountId: row.providerAccountId,
				},
				createdAt: now,
			},
		],
	});
	if (deleted === null) throw accountNotFound();
	deps.audit?.record({
		kind: "account.unlinked",
		userId: row.userId,
		provider: row.providerConfigId,
		providerAccountId: row.providerAccountId,
		detail: {
			revocationsQueued: revocations.length,
			...(input.by === undefined ? {} : { by: input.by }),
		},
	});
}
