import {
	appUrl,
	createBrowser,
	type TestTether,
} from "../../server/test/harness.ts";
import {
	createTetherClient,
	type FetchLike,
	memoryStorage,
	type PopupLike,
	type TetherClient,
	type TetherClientOptions,
} from "../src/index.ts";

export { appUrl };

export const sleep = (ms: number) =>
	new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Records where the client sent the browser; `next()` waits for the next navigation. */
export function navigationRecorder() {
	const seen: string[] = [];
	const waiting: ((url: string) => void)[] = [];
	return {
		seen,
		redirect(url: string) {
			seen.push(url);
			waiting.shift()?.(url);
		},
		next(): Promise<string> {
			return new Promise((resolve) => waiting.push(resolve));
		},
	};
}

/** The real fetch, counting requests per "METHOD /path" (no answer is altered). */
export function countingFetch() {
	const counts = new Map<string, number>();
	const fetchFn: FetchLike = (input, init) => {
		const key = `${init.method ?? "GET"} ${new URL(input).pathname}`;
		counts.set(key, (counts.get(key) ?? 0) + 1);
		return fetch(input, init);
	};
	return {
		fetch: fetchFn,
		count: (key: string) => counts.get(key) ?? 0,
		countMatching: (pattern: RegExp) =>
			[...counts].reduce((n, [key, c]) => (pattern.test(key) ? n + c : n), 0),
	};
}

/**
 * A popup the test drives: it is "on the provider" (location unreadable) until the test lands
 * it on a URL, as a real cross-origin popup is.
 */
export function scriptedPopups() {
	const opened: { url: string; popup: PopupLike & { land(url: URL): void } }[] =
		[];
	const waiting: ((url: string) => void)[] = [];
	return {
		opened,
		open(url: string) {
			let href: string | null = null;
			let closed = false;
			const popup = {
				get closed() {
					return closed;
				},
				location: {
					get href(): string {
						if (href === null)
							throw new DOMException("cross-origin", "SecurityError");
						return href;
					},
				},
				close() {
					closed = true;
				},
				land(landed: URL) {
					href = landed.toString();
				},
			};
			opened.push({ url, popup });
			waiting.shift()?.(url);
			return popup;
		},
		next(): Promise<string> {
			return new Promise((resolve) => waiting.push(resolve));
		},
	};
}

/** A client signed in as `account` through the real redirect flow: Tether → upstream → app. */
export async function signedInClient(
	tether: TestTether,
	account: string,
	options: Partial<TetherClientOptions> = {},
) {
	const browser = createBrowser(tether);
	const navigations = navigationRecorder();
	const popups = scriptedPopups();
	const client: TetherClient = createTetherClient({
		baseUrl: tether.baseUrl,
		storage: memoryStorage(),
		redirect: navigations.redirect,
		openPopup: popups.open,
		...options,
	});
	await client.signInWithRedirect({
		provider: tether.provider,
		redirectTo: appUrl,
	});
	const start = navigations.seen.at(-1);
	if (start === undefined)
		throw new Error("signInWithRedirect did not navigate");
	const landed = await browser.follow(start, { account });
	const result = await client.handleRedirectCallback(landed);
	if (result.type !== "signed-in")
		throw new Error(`expected a sign-in, got ${result.type}`);
	return { client, browser, navigations, popups, user: result.user };
}
