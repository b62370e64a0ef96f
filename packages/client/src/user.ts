import type { AccessTokenUnavailableReason } from "@tether/api";
import {
	type AccountContext,
	accountPath,
	type ConnectedAccountHandle,
	createConnectedAccountHandle,
} from "./connected-account.ts";
import {
	OAuthAccessTokenNotAvailable,
	ProviderUnavailableError,
	TetherClientError,
} from "./errors.ts";
import { createPopupFlowId, withPopupFlow } from "./link-driver.ts";
import {
	parseAccountList,
	parseConnectedAccount,
	parseLinkUrl,
} from "./parse.ts";

export interface GetOrLinkOptions {
	/** Scopes the account must carry; missing ones are asked for by linking again. */
	scopes?: string[];
	/** `redirect` (default) leaves the page; `popup` links in a popup and resolves when it ends. */
	mode?: "redirect" | "popup";
	/** Where the provider flow returns (checked against Tether's allow-list). */
	redirectTo?: string;
}

/** A link flow to run: the one-time URL and why it is needed. */
export interface LinkRequest {
	provider: string;
	/** The link-intent URL to open in the user's browser (one-time, short-lived). */
	url: string;
	mode: "redirect" | "popup";
	redirectTo: string | undefined;
	reason: AccessTokenUnavailableReason;
	missingScopes: string[];
	/** The account being upgraded or reconnected, when there is one. */
	providerAccountId: string | undefined;
	/**
	 * Popup mode in a browser: the id marking this flow's landing (`tether_popup=` on
	 * `redirectTo`), so the popup's page hands the code over and other tabs' popups are ignored.
	 */
	popupFlow?: string;
}

/** How a link flow that this page saw to the end came back: the code its owner redeems. */
export interface LinkLanding {
	linkCode: string;
}

/**
 * Runs a link flow: resolves with the landing's one-time `link_code` when it has come back
 * here (popup), never when the page is leaving (redirect: the landing page redeems), or throws
 * when it cannot run here (the server SDK's `LinkRequiredError`) or the flow failed.
 */
export type LinkDriver = (request: LinkRequest) => Promise<LinkLanding>;

/** A Tether user: their connected accounts, and linking more. */
export interface TetherUser {
	/** Tether's user id (the browser client), or the id the app named (the server SDK). */
	readonly id: string;
	readonly externalId?: string;
	readonly email?: string;
	readonly displayName?: string;
	listConnectedAccounts(): Promise<ConnectedAccountHandle[]>;
	/** The account, or null when the user has none by that key. */
	getConnectedAccount(input: {
		provider: string;
		providerAccountId: string;
	}): Promise<ConnectedAccountHandle | null>;
	/**
	 * An account at `provider` that carries `scopes` (Tether judges, by the provider's scope
	 * rules), else a link flow for the union of the account's scopes and `scopes` — upgrading
	 * the existing account rather than adding one. Redirect mode never resolves (the page
	 * leaves); popup mode resolves with the linked account.
	 */
	getOrLinkConnectedAccount(
		provider: string,
		options?: GetOrLinkOptions,
	): Promise<ConnectedAccountHandle>;
}

export interface UserContext extends AccountContext {
	link: LinkDriver;
	/** `redirectTo` when the caller names none (the browser: the current page). */
	defaultRedirectTo?: () => string | undefined;
	/** Extra fields for `POST /v1/link/:provider` (the secret key names `userId`). */
	linkBody?: Record<string, unknown>;
	/** Called after a link was completed, before accounts are re-read. */
	onLinked?: (provider: string) => void;
	/** Mark popup landings (`tether_popup=`) so the popup's page does not redeem the code. */
	markPopupLandings?: boolean;
}

export interface UserData {
	id: string;
	externalId?: string;
	email?: string;
	displayName?: string;
}

/** `POST /v1/link/:provider` → the one-time URL that starts linking (or upgrading). */
export async function createLinkIntent(
	context: Pick<UserContext, "transport" | "linkBody">,
	input: {
		provider: string;
		scopes?: string[];
		redirectTo?: string;
		providerAccountId?: string;
	},
): Promise<string> {
	const response = await context.transport.send({
		method: "POST",
		path: `/v1/link/${encodeURIComponent(input.provider)}`,
		body: {
			...context.linkBody,
			...(input.scopes === undefined || input.scopes.length === 0
				? {}
				: { scopes: input.scopes }),
			...(input.redirectTo === undefined
				? {}
				: { redirectTo: input.redirectTo }),
			...(input.providerAccountId === undefined
				? {}
				: { providerAccountId: input.providerAccountId }),
		},
	});
	return parseLinkUrl(response.body);
}

/**
 * `POST /v1/link/complete`: redeems a landing's one-time `link_code` for the caller's user (the
 * session's, or the `userId` the secret key names in `linkBody`), which attaches the provider
 * account. Only the user who created the link intent can redeem it: anyone else gets
 * `LINK_NOT_FOUND` (and the code is spent), so a link URL opened by someone else attaches
 * nothing. A provider account that belongs to another user is `ACCOUNT_ALREADY_LINKED`.
 */
export async function completeLink(
	context: AccountContext & Pick<UserContext, "linkBody" | "onLinked">,
	code: string,
): Promise<ConnectedAccountHandle> {
	if (code === "")
		throw new TetherClientError("INVALID_REQUEST", "The link code is empty.", {
			details: { field: "code" },
		});
	const response = await context.transport.send({
		method: "POST",
		path: "/v1/link/complete",
		body: { ...context.linkBody, code },
	});
	const account = parseConnectedAccount(response.body);
	// New scopes or a new account: tokens cached for the provider may no longer be the best ones.
	context.cache.invalidate({ provider: account.provider });
	context.onLinked?.(account.provider);
	return createConnectedAccountHandle(context, account);
}

const unique = (scopes: readonly string[]) => [...new Set(scopes)];

interface Search {
	account?: ConnectedAccountHandle;
	/** The best account to upgrade or reconnect, and why it did not qualify. */
	upgrade?: ConnectedAccountHandle;
	error?: OAuthAccessTokenNotAvailable;
}

/** Asks Tether, account by account, for a token with `scopes`: the first that gets one wins. */
async function firstWithScopes(
	candidates: readonly ConnectedAccountHandle[],
	scopes: string[],
): Promise<Search> {
	let best: Search = {};
	for (const account of candidates) {
		let result: Awaited<ReturnType<ConnectedAccountHandle["getAccessToken"]>>;
		try {
			result = await account.getAccessToken({ scopes });
		} catch (error) {
			// A provider outage says nothing about scopes; the stored grant can still answer.
			if (
				error instanceof ProviderUnavailableError &&
				account.status === "active" &&
				scopes.every((scope) => account.scopes.includes(scope))
			)
				return { account };
			throw error;
		}
		if (result.status === "ok") return { account };
		// An account that only lacks scopes is a better upgrade target than a revoked one.
		if (
			best.error === undefined ||
			(best.error.reason === "reauth_required" &&
				result.error.reason === "insufficient_scopes")
		)
			best = { upgrade: account, error: result.error };
	}
	return best;
}

export function createUserHandle(
	context: UserContext,
	data: UserData,
): TetherUser {
	async function list(): Promise<ConnectedAccountHandle[]> {
		const response = await context.transport.send({
			method: "GET",
			path: `/v1/connected-accounts/${encodeURIComponent(context.user)}`,
		});
		return parseAccountList(response.body).map((account) =>
			createConnectedAccountHandle(context, account),
		);
	}

	return {
		...data,
		listConnectedAccounts: list,
		async getConnectedAccount({ provider, providerAccountId }) {
			try {
				const response = await context.transport.send({
					method: "GET",
					path: accountPath(context.user, provider, providerAccountId),
				});
				return createConnectedAccountHandle(
					context,
					parseConnectedAccount(response.body),
				);
			} catch (error) {
				if (
					error instanceof TetherClientError &&
					error.code === "CONNECTED_ACCOUNT_NOT_FOUND"
				)
					return null;
				throw error;
			}
		},
		async getOrLinkConnectedAccount(provider, options = {}) {
			const scopes = unique(options.scopes ?? []);
			const atProvider = async () =>
				(await list()).filter((account) => account.provider === provider);
			const found = await firstWithScopes(await atProvider(), scopes);
			if (found.account !== undefined) return found.account;

			const target = found.upgrade;
			const mode = options.mode ?? "redirect";
			const baseRedirectTo =
				options.redirectTo ?? context.defaultRedirectTo?.();
			const popupFlow =
				mode === "popup" &&
				context.markPopupLandings === true &&
				baseRedirectTo !== undefined
					? createPopupFlowId()
					: undefined;
			const redirectTo =
				popupFlow === undefined || baseRedirectTo === undefined
					? baseRedirectTo
					: withPopupFlow(baseRedirectTo, popupFlow);
			const url = await createLinkIntent(context, {
				provider,
				scopes: unique([...(target?.scopes ?? []), ...scopes]),
				...(redirectTo === undefined ? {} : { redirectTo }),
				...(target === undefined
					? {}
					: { providerAccountId: target.providerAccountId }),
			});
			const landing = await context.link({
				provider,
				url,
				mode,
				redirectTo,
				reason: found.error?.reason ?? "insufficient_scopes",
				missingScopes: found.error?.missingScopes ?? scopes,
				providerAccountId: target?.providerAccountId,
				...(popupFlow === undefined ? {} : { popupFlow }),
			});
			// The flow came back here: this user redeems the code, which attaches the account.
			const completed = await completeLink(context, landing.linkCode);

			const after = await atProvider();
			// The account just linked first, then the one being upgraded.
			const rank = (account: ConnectedAccountHandle) =>
				account.providerAccountId === completed.providerAccountId
					? 2
					: account.providerAccountId === target?.providerAccountId
						? 1
						: 0;
			after.sort((a, b) => rank(b) - rank(a));
			const linked = await firstWithScopes(after, scopes);
			if (linked.account !== undefined) return linked.account;
			throw (
				linked.error ??
				new OAuthAccessTokenNotAvailable(
					"The link flow finished without an account carrying the scopes.",
					{ reason: "insufficient_scopes", missingScopes: scopes, provider },
				)
			);
		},
	};
}
