import { authorize } from "@tether/testkit";
import { expect, it } from "vitest";
import {
	api,
	createBrowser,
	type SessionBody,
} from "../../../packages/server/test/harness.ts";
import { appUrl, type SecurityTether } from "./security-tether.ts";

export type Browser = ReturnType<typeof createBrowser>;

/** A new user agent with its own cookie jar. */
export const newBrowser = (tether: SecurityTether): Browser =>
	createBrowser(tether);

/** Tether's sign-in URL for a provider, with `redirectTo` and any other query. */
export function signinUrl(
	tether: SecurityTether,
	query: Record<string, string> = {},
	provider = tether.provider,
): string {
	const url = new URL(`${tether.baseUrl}/v1/signin/provider/${provider}`);
	url.searchParams.set("redirectTo", appUrl);
	for (const [key, value] of Object.entries(query))
		url.searchParams.set(key, value);
	return url.toString();
}

/**
 * Starts a flow in `browser` and plays the upstream's login as `account`: returns Tether's
 * redirect to the provider and the provider's redirect back to Tether (not yet delivered).
 */
export async function callbackFor(
	tether: SecurityTether,
	browser: Browser,
	account: string,
	options: { provider?: string; startUrl?: string } = {},
): Promise<{ toProvider: URL; callback: URL }> {
	const start = await browser.get(
		options.startUrl ?? signinUrl(tether, {}, options.provider),
	);
	if (start.status !== 302)
		throw new Error(`start answered ${start.status}: ${await start.text()}`);
	const toProvider = new URL(start.headers.get("location") ?? "");
	return { toProvider, callback: await authorize(toProvider, { account }) };
}

/** Where a Tether redirect points, or null. */
export function locationOf(response: Response): URL | null {
	const location = response.headers.get("location");
	return location === null ? null : new URL(location);
}

/** Signs `account` in through a fresh browser and returns the session. */
export async function signIn(
	tether: SecurityTether,
	account: string,
): Promise<SessionBody> {
	return newBrowser(tether).signIn(account);
}

/** A JSON call to the Tether under test. */
export const call = (
	tether: SecurityTether,
	method: string,
	path: string,
	options: Parameters<typeof api>[3] = {},
) => api(tether, method, path, options);

/** The closing check of every security file: this file's run left no secret where it must not be. */
export function itLeavesNoSecrets(tether: () => SecurityTether): void {
	it("leaves none of the run's tokens, codes, states, verifiers or keys in logs, error answers, metrics or the database", async () => {
		const run = tether();
		expect(run.ledger.secrets.size).toBeGreaterThan(5);
		expect(run.logs.length).toBeGreaterThan(0);
		expect(await run.findLeaks()).toEqual([]);
	});
}
