import type {
	AccessTokenData,
	ConnectedAccountHandle,
	GetOrLinkOptions,
	OAuthAccessTokenNotAvailable,
	Result,
	TetherUser,
} from "@tether/client";
import type { ResourceCache } from "./resource-cache.ts";
import { useAccessToken } from "./use-access-token.ts";
import { useUserConnectedAccount } from "./use-connected-account.ts";
import { useUserConnectedAccounts } from "./use-connected-accounts.ts";
import { useUserOrLinkConnectedAccount } from "./use-or-link-connected-account.ts";

/** A connected account with the reference's hook: `account.useAccessToken({ scopes })`. */
export interface ReactConnectedAccount extends ConnectedAccountHandle {
	useAccessToken(options?: {
		scopes?: string[];
	}): Result<AccessTokenData, OAuthAccessTokenNotAvailable>;
}

/** A user with the reference's hook twins of its account calls. */
export interface ReactTetherUser extends TetherUser {
	useConnectedAccounts(): ReactConnectedAccount[];
	useConnectedAccount(input: {
		provider: string;
		providerAccountId: string;
	}): ReactConnectedAccount | null;
	useOrLinkConnectedAccount(
		provider: string,
		options?: GetOrLinkOptions,
	): ReactConnectedAccount;
}

const users = new WeakMap<TetherUser, ReactTetherUser>();
const accounts = new WeakMap<ConnectedAccountHandle, ReactConnectedAccount>();

/**
 * The same React object for the same client object, so components can keep them in deps. Linking
 * and unlinking through these objects refresh every reader of the user's accounts.
 */
export function reactAccount(
	userId: string,
	account: ConnectedAccountHandle,
	cache: ResourceCache,
): ReactConnectedAccount {
	let wrapped = accounts.get(account);
	if (wrapped === undefined) {
		wrapped = Object.freeze({
			...account,
			getAccessToken: account.getAccessToken.bind(account),
			async unlink() {
				await account.unlink();
				cache.refresh(`accounts:${userId}:`);
				cache.refresh(`account:${userId}:`);
			},
			useAccessToken: (options?: { scopes?: string[] }) =>
				useAccessToken(userId, account, options),
		});
		accounts.set(account, wrapped);
	}
	return wrapped;
}

export function reactUser(
	user: TetherUser,
	cache: ResourceCache,
): ReactTetherUser {
	let wrapped = users.get(user);
	if (wrapped === undefined) {
		const wrap = (account: ConnectedAccountHandle) =>
			reactAccount(user.id, account, cache);
		const self: ReactTetherUser = {
			id: user.id,
			...(user.externalId === undefined ? {} : { externalId: user.externalId }),
			...(user.email === undefined ? {} : { email: user.email }),
			...(user.displayName === undefined
				? {}
				: { displayName: user.displayName }),
			listConnectedAccounts: async () =>
				(await user.listConnectedAccounts()).map(wrap),
			async getConnectedAccount(input) {
				const found = await user.getConnectedAccount(input);
				return found === null ? null : wrap(found);
			},
			async getOrLinkConnectedAccount(provider, options) {
				const account = await user.getOrLinkConnectedAccount(provider, options);
				cache.refresh(`accounts:${user.id}:`);
				cache.refresh(`account:${user.id}:`);
				return wrap(account);
			},
			useConnectedAccounts: () => useUserConnectedAccounts(self),
			useConnectedAccount: (input) => useUserConnectedAccount(self, input),
			useOrLinkConnectedAccount: (provider, options) =>
				useUserOrLinkConnectedAccount(self, provider, options),
		};
		wrapped = Object.freeze(self);
		users.set(user, wrapped);
	}
	return wrapped;
}
