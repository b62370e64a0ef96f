import type { User } from "@tether/api";
import { createAccessTokenCache } from "./access-token-cache.ts";
import type { ConnectedAccountHandle } from "./connected-account.ts";
import { TetherClientError } from "./errors.ts";
import {
	defaultFetch,
	type FetchLike,
	normalizeBaseUrl,
	sendJson,
	type Transport,
} from "./http.ts";
import {
	announceToOpener,
	createBrowserLinkDriver,
	defaultOpenPopup,
	defaultRedirect,
	flowError,
	missingLinkCode,
	type OpenPopup,
	outcomeOfParams,
	popupFlowParam,
	type Redirect,
} from "./link-driver.ts";
import { type LockManagerLike, platformLocks } from "./lock.ts";
import { parseSession } from "./parse.ts";
import { codeChallengeOf, createCodeVerifier } from "./pkce.ts";
import {
	createProviderTokensApi,
	type ProviderTokensApi,
} from "./provider-tokens.ts";
import { createSessionManager, type StoredSession } from "./session.ts";
import { defaultStorage, type StorageAdapter } from "./storage.ts";
import { createStore } from "./store.ts";
import {
	completeLink,
	createUserHandle,
	type TetherUser,
	type UserContext,
	type UserData,
} from "./user.ts";

export interface TetherClientOptions {
	/** Tether's public URL, e.g. `https://tether.example.com`. */
	baseUrl: string;
	/** Default: the platform's `fetch`. */
	fetch?: FetchLike;
	/** Where the session lives. Default: `localStorage` in a browser, memory elsewhere. */
	storage?: StorageAdapter;
	/** Sends the browser to a URL. Default `location.assign`; inject it in tests and Node. */
	redirect?: Redirect;
	/** Opens the link popup. Default `window.open`. */
	openPopup?: OpenPopup;
	/** Cross-tab lock. Default `navigator.locks` when present; `null` uses a mutex in `storage`. */
	locks?: LockManagerLike | null;
	/** Prefix of the storage keys. Default `"tether"`. */
	storageKey?: string;
	/** The clock, in epoch milliseconds. Default `Date.now`. */
	now?: () => number;
	/** Refresh the session when it expires within this many seconds. Default 60. */
	sessionRefreshMarginSeconds?: number;
	/** Refresh on a timer before expiry (not only on demand). Default true. */
	autoRefresh?: boolean;
}

/** What the UI renders from; the same object until something changes (`useSyncExternalStore`). */
export type AuthSnapshot =
	| { status: "loading"; user: null }
	| { status: "signed-out"; user: null }
	| { status: "signed-in"; user: TetherUser };

/** What `handleRedirectCallback` found in the URL. Flow errors are thrown, not returned. */
export type RedirectCallbackResult =
	| { type: "signed-in"; user: TetherUser }
	/** The link was completed: the landing's `link_code` was redeemed for the signed-in user. */
	| { type: "linked"; provider: string; account: ConnectedAccountHandle }
	/**
	 * This page is a link popup's landing: it announced the `link_code` to the window that
	 * opened it, which completes the link. Nothing is linked yet; the popup is about to close.
	 */
	| { type: "handed-to-opener"; provider: string }
	| { type: "none" };

export interface SignInOptions {
	/** The provider config id, e.g. `"google"`. */
	provider: string;
	/** Where Tether sends the browser back (allow-listed). Default: the current page. */
	redirectTo?: string;
	/** Scopes on top of the provider's configured ones. */
	scopes?: string[];
	loginHint?: string;
}

export interface TetherClient {
	/** Starts sign-in (PKCE S256 between app and Tether; the verifier stays in `storage`). */
	signInWithRedirect(options: SignInOptions): Promise<void>;
	/**
	 * Finishes a flow on the page it returned to (default: the current URL): exchanges a
	 * sign-in `code` for a session, or completes a link (`linked=…&link_code=…`) by redeeming
	 * the code with the signed-in user's session — only the user who started the link can.
	 * A link popup's landing only announces the code to its opener. Removes those parameters
	 * from the address bar; throws `TetherClientError` for `error=` and for a refused code
	 * (`LINK_NOT_FOUND`, `ACCOUNT_ALREADY_LINKED`).
	 */
	handleRedirectCallback(url?: string | URL): Promise<RedirectCallbackResult>;
	signOut(): Promise<void>;
	/** The signed-in user (session refreshed first when due), or null. */
	getUser(): Promise<TetherUser | null>;
	subscribe(listener: () => void): () => void;
	getSnapshot(): AuthSnapshot;
	/** The provider-tokens guide's calls. */
	readonly auth: ProviderTokensApi;
	/** Stops the refresh timer and storage listener. */
	destroy(): void;
}

const loading: AuthSnapshot = { status: "loading", user: null };
const signedOut: AuthSnapshot = { status: "signed-out", user: null };

const flowParams = [
	"code",
	"linked",
	"link_code",
	popupFlowParam,
	"error",
	"error_description",
];

function currentHref(): string | undefined {
	return typeof globalThis.location === "undefined"
		? undefined
		: globalThis.location.href;
}

/** The browser (and Node) SDK: sign-in, the session, the user and their connected accounts. */
export function createTetherClient(options: TetherClientOptions): TetherClient {
	const baseUrl = normalizeBaseUrl(options.baseUrl);
	const fetchFn = options.fetch ?? defaultFetch();
	const storage = options.storage ?? defaultStorage();
	const storageKey = options.storageKey ?? "tether";
	const verifierKey = `${storageKey}.pkce`;
	const now = options.now ?? (() => Date.now());
	const redirect = options.redirect ?? defaultRedirect();
	const cache = createAccessTokenCache(now);
	const store = createStore<AuthSnapshot>(loading);

	const session = createSessionManager({
		baseUrl,
		fetch: fetchFn,
		storage,
		storageKey,
		locks: options.locks === undefined ? platformLocks() : options.locks,
		now,
		marginMs: (options.sessionRefreshMarginSeconds ?? 60) * 1000,
		autoRefresh: options.autoRefresh ?? true,
		onChange: publish,
	});

	/** Session JWT on every call; one refresh-and-retry when Tether says it is no longer good. */
	const transport: Transport = {
		async send(request) {
			const token = await session.accessToken();
			if (token === null)
				throw new TetherClientError("UNAUTHENTICATED", "Not signed in.");
			const send = (bearer: string) =>
				sendJson({ ...request, baseUrl, fetch: fetchFn, token: bearer });
			try {
				return await send(token);
			} catch (error) {
				if (
					!(error instanceof TetherClientError) ||
					error.code !== "UNAUTHENTICATED"
				)
					throw error;
				const renewed = await session.refresh(token);
				if (renewed === null) throw error;
				return send(renewed.accessToken);
			}
		},
	};

	const userContext: UserContext = {
		transport,
		user: "me",
		cache,
		link: createBrowserLinkDriver({
			redirect,
			openPopup: options.openPopup ?? defaultOpenPopup(),
		}),
		defaultRedirectTo: () => currentHref()?.split("#")[0],
		markPopupLandings: true,
	};

	let userKey = "";
	function publish(next: StoredSession | null): void {
		if (next === null) {
			cache.clear();
			userKey = "";
			store.set(signedOut);
			return;
		}
		const data: UserData = userDataOf(next.user);
		const key = JSON.stringify(data);
		const previous = store.get();
		if (previous.status === "signed-in" && key === userKey) return;
		if (previous.status === "signed-in" && previous.user.id !== data.id)
			cache.clear();
		userKey = key;
		store.set({
			status: "signed-in",
			user: createUserHandle(userContext, data),
		});
	}

	function userDataOf(user: User): UserData {
		return {
			id: user.id,
			...(user.externalId === undefined ? {} : { externalId: user.externalId }),
			...(user.email === undefined ? {} : { email: user.email }),
			...(user.displayName === undefined
				? {}
				: { displayName: user.displayName }),
		};
	}

	function signedInUser(): TetherUser | null {
		const snapshot = store.get();
		return snapshot.status === "signed-in" ? snapshot.user : null;
	}

	async function takeVerifier(): Promise<string | undefined> {
		const raw = await storage.getItem(verifierKey);
		await storage.removeItem(verifierKey);
		return raw !== null && /^[A-Za-z0-9._~-]{43,128}$/.test(raw)
			? raw
			: undefined;
	}

	return {
		async signInWithRedirect({ provider, redirectTo, scopes, loginHint }) {
			const verifier = createCodeVerifier();
			await storage.setItem(verifierKey, verifier);
			const url = new URL(
				`${baseUrl}/v1/signin/provider/${encodeURIComponent(provider)}`,
			);
			const target = redirectTo ?? currentHref()?.split("#")[0];
			if (target !== undefined) url.searchParams.set("redirectTo", target);
			if (scopes !== undefined && scopes.length > 0)
				url.searchParams.set("scopes", scopes.join(" "));
			if (loginHint !== undefined) url.searchParams.set("loginHint", loginHint);
			url.searchParams.set("codeChallenge", await codeChallengeOf(verifier));
			await redirect(url.toString());
		},

		async handleRedirectCallback(input) {
			const href = input === undefined ? currentHref() : String(input);
			if (href === undefined)
				throw new TetherClientError(
					"INVALID_REQUEST",
					"No URL to read; pass the URL the browser landed on.",
				);
			const url = new URL(href);
			const code = url.searchParams.get("code");
			const outcome = outcomeOfParams(url.searchParams);
			if (code === null && outcome === null) return { type: "none" };
			const popupFlow = url.searchParams.get(popupFlowParam);
			// Without BroadcastChannel, a popup's opener can only read the code from its URL.
			const openerReadsUrl =
				popupFlow !== null && typeof BroadcastChannel !== "function";
			// One-time codes must not stay in the address bar or the history.
			if (
				input === undefined &&
				typeof history !== "undefined" &&
				!openerReadsUrl
			) {
				const clean = new URL(url);
				for (const name of flowParams) clean.searchParams.delete(name);
				history.replaceState(history.state, "", clean.toString());
			}
			// A link popup's landing: the opener redeems the code (exactly once); this page must not.
			if (popupFlow !== null && code === null && outcome !== null)
				announceToOpener(popupFlow, outcome);
			if (outcome !== null && "error" in outcome) {
				await takeVerifier();
				throw flowError(outcome.error);
			}
			if (outcome !== null) {
				const provider = outcome.linked;
				if (outcome.linkCode === null) throw missingLinkCode(provider);
				if (popupFlow !== null) return { type: "handed-to-opener", provider };
				// Redeemed with the signed-in session: a link URL someone else started attaches
				// nothing to them (Tether answers LINK_NOT_FOUND).
				const account = await completeLink(userContext, outcome.linkCode);
				return { type: "linked", provider, account };
			}
			const codeVerifier = await takeVerifier();
			const response = await sendJson({
				baseUrl,
				fetch: fetchFn,
				method: "POST",
				path: "/v1/token/exchange",
				body: { code, ...(codeVerifier === undefined ? {} : { codeVerifier }) },
			});
			cache.clear();
			await session.adopt(parseSession(response.body));
			const user = signedInUser();
			if (user === null)
				throw new TetherClientError(
					"INTERNAL_ERROR",
					"Signed in, but the session did not stick.",
				);
			return { type: "signed-in", user };
		},

		signOut: () => session.signOut(),

		async getUser() {
			try {
				await session.accessToken();
			} catch (error) {
				// Offline or Tether down: the stored user is still who is signed in.
				if (!(error instanceof TetherClientError)) throw error;
			}
			return signedInUser();
		},

		subscribe: store.subscribe,
		getSnapshot: store.get,
		auth: createProviderTokensApi(transport),
		destroy: () => session.destroy(),
	};
}
