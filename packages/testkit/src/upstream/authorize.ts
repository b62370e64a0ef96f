import { createCookieJar } from "./cookie-jar.ts";

/** Query parameters the headless interaction page reads; set by `authorize`. */
export const ACCOUNT_PARAM = "account";
export const GRANT_SCOPES_PARAM = "grant_scopes";

export interface AuthorizeOptions {
	/**
	 * The upstream user to sign in as, e.g. `alice`. Default: the request's `login_hint`, else
	 * the upstream's `login()` choice, as for a real browser.
	 */
	account?: string;
	/**
	 * Scopes the user agrees to; requested scopes outside this list are refused at consent,
	 * as if the user unticked them. Default: everything requested.
	 */
	grantScopes?: readonly string[];
	/** Default `globalThis.fetch`. */
	fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

const MAX_HOPS = 12;

/**
 * Plays the browser for an authorization URL at a `startUpstream` provider: follows its
 * redirects with fetch, carrying cookies, signs in as `account` and consents, and returns the
 * first URL outside the provider — the client's redirect URI with `code`, `state` and `iss`
 * (or `error`). That URL is not fetched.
 */
export async function authorize(
	url: string | URL,
	options: AuthorizeOptions = {},
): Promise<URL> {
	const fetchFn = options.fetch ?? globalThis.fetch;
	const jar = createCookieJar();
	let current = new URL(url);
	const providerOrigin = current.origin;

	for (let hop = 0; hop < MAX_HOPS; hop++) {
		if (current.pathname.startsWith("/interaction/")) {
			if (options.account !== undefined) {
				current.searchParams.set(ACCOUNT_PARAM, options.account);
			}
			if (options.grantScopes !== undefined) {
				current.searchParams.set(
					GRANT_SCOPES_PARAM,
					options.grantScopes.join(" "),
				);
			}
		}
		const headers = new Headers();
		const cookie = jar.headerFor(current);
		if (cookie !== undefined) headers.set("cookie", cookie);
		const response = await fetchFn(current.href, {
			headers,
			redirect: "manual",
		});
		jar.store(response);

		const location = response.headers.get("location");
		if (response.status < 300 || response.status >= 400 || location === null) {
			const text = (await response.text()).slice(0, 300);
			throw new Error(
				`authorize: expected a redirect from ${current.pathname}, got HTTP ${response.status}: ${text}`,
			);
		}
		await response.body?.cancel();
		const next = new URL(location, current);
		if (next.origin !== providerOrigin) return next;
		current = next;
	}
	throw new Error(`authorize: more than ${MAX_HOPS} redirects`);
}
