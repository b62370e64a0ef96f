import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestTether, type TestTether } from "../../server/test/harness.ts";
import type { TetherClient } from "../src/index.ts";
import { signedInClient, sleep } from "./support.ts";

/** `localStorage` for Node, so the guide's code runs as written. */
class MemoryLocalStorage {
	readonly #items = new Map<string, string>();
	getItem(key: string): string | null {
		return this.#items.get(key) ?? null;
	}
	setItem(key: string, value: string): void {
		this.#items.set(key, value);
	}
}

// The provider-tokens guide's two examples, verbatim but for the client's name and URLs.

async function guideRetrieve(
	nhost: TetherClient,
	localStorage: MemoryLocalStorage,
	userinfoUrl: string,
) {
	// Immediately after OAuth callback completes
	const resp = await nhost.auth.getProviderTokens("upstream");

	// Store tokens securely
	localStorage.setItem("google_access_token", resp.body.accessToken);
	if (resp.body.refreshToken) {
		localStorage.setItem("google_refresh_token", resp.body.refreshToken);
	}

	// Use provider token to call Google APIs
	const userInfo = await fetch(userinfoUrl, {
		headers: {
			Authorization: `Bearer ${resp.body.accessToken}`,
		},
	});
	return { resp, userInfo };
}

async function guideRefresh(
	nhost: TetherClient,
	localStorage: MemoryLocalStorage,
) {
	// Retrieve stored refresh token
	const storedRefreshToken = localStorage.getItem("google_refresh_token");

	// Refresh the provider tokens
	const resp = await nhost.auth.refreshProviderToken("upstream", {
		refreshToken: storedRefreshToken,
	});

	// Update stored tokens
	localStorage.setItem("google_access_token", resp.body.accessToken);
	if (resp.body.refreshToken) {
		// Some providers rotate refresh tokens
		localStorage.setItem("google_refresh_token", resp.body.refreshToken);
	}
	return resp;
}

describe("the provider-tokens guide, through client.auth (2-second tokens, rotating refresh tokens)", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether({
			accessTokenTtlSeconds: 2,
			config: { refreshMarginSeconds: 1 },
		});
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("reads the sign-in's provider tokens once, then refreshes them as the guide does", async () => {
		const { client } = await signedInClient(tether, "lia");
		const localStorage = new MemoryLocalStorage();

		const { resp, userInfo } = await guideRetrieve(
			client,
			localStorage,
			tether.upstream.endpoints.userinfoEndpoint,
		);
		expect(resp.status).toBe(200);
		expect(resp.body.expiresIn).toBeGreaterThan(0);
		expect(Date.parse(resp.body.expiresAt ?? "")).toBeGreaterThan(Date.now());
		expect(userInfo.status).toBe(200);
		const firstRefreshToken = localStorage.getItem("google_refresh_token");
		expect(firstRefreshToken).toEqual(expect.any(String));

		// "Subsequent calls will fail": the provider session is read once.
		await expect(
			client.auth.getProviderTokens("upstream"),
		).rejects.toMatchObject({
			code: "PROVIDER_SESSION_NOT_FOUND",
			status: 404,
		});

		await sleep(2100);
		const refreshed = await guideRefresh(client, localStorage);
		expect(refreshed.body.accessToken).not.toBe(resp.body.accessToken);
		// The upstream rotates refresh tokens: the stored one was replaced, as the guide says to.
		expect(localStorage.getItem("google_refresh_token")).toBe(
			refreshed.body.refreshToken,
		);
		expect(refreshed.body.refreshToken).not.toBe(firstRefreshToken);
		const userInfo2 = await fetch(tether.upstream.endpoints.userinfoEndpoint, {
			headers: { authorization: `Bearer ${refreshed.body.accessToken}` },
		});
		expect(userInfo2.status).toBe(200);

		// An already-rotated refresh token still names the account: the current tokens come back.
		const again = await client.auth.refreshProviderToken("upstream", {
			refreshToken: firstRefreshToken,
		});
		expect(again.body.accessToken).toBe(refreshed.body.accessToken);
		client.destroy();
	});

	it("refuses a refresh token that is none of the user's, and a missing one without a request", async () => {
		const { client } = await signedInClient(tether, "max");
		await expect(
			client.auth.refreshProviderToken("upstream", { refreshToken: "garbage" }),
		).rejects.toMatchObject({
			code: "INVALID_REQUEST",
			status: 400,
			details: { reason: "unknown_refresh_token" },
		});
		await expect(
			client.auth.refreshProviderToken("upstream", { refreshToken: null }),
		).rejects.toMatchObject({
			code: "INVALID_REQUEST",
			details: { field: "refreshToken" },
		});
		client.destroy();
	});
});
