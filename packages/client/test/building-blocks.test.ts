import { describe, expect, it } from "vitest";
import { createAccessTokenCache } from "../src/access-token-cache.ts";
import {
	createTetherClient,
	errorFromResponse,
	memoryStorage,
	OAuthAccessTokenNotAvailable,
	ProviderUnavailableError,
	TetherClientError,
} from "../src/index.ts";
import { withLock } from "../src/lock.ts";
import { parseConnectedAccount } from "../src/parse.ts";

// The pure pieces under the SDK, without a network: error mapping, the token cache, the lock.

describe("errors from responses", () => {
	it("maps codes to classes and keeps the server's words as data", () => {
		const unavailable = errorFromResponse(
			503,
			new Headers({ "retry-after": "12" }),
			{
				code: "PROVIDER_UNAVAILABLE",
				message: "down",
				details: { provider: "google", retryAfterSeconds: 3 },
			},
		);
		expect(unavailable).toBeInstanceOf(ProviderUnavailableError);
		expect(unavailable).toMatchObject({
			retryAfterSeconds: 12,
			provider: "google",
		});
		const notAvailable = errorFromResponse(409, new Headers(), {
			code: "OAUTH_ACCESS_TOKEN_NOT_AVAILABLE",
			message: "scopes",
			details: { reason: "insufficient_scopes", missingScopes: ["a", 3] },
		});
		expect(notAvailable).toBeInstanceOf(OAuthAccessTokenNotAvailable);
		expect(notAvailable).toMatchObject({ missingScopes: ["a"] });
	});

	it("gives a known code to a proxy's page or a code this SDK does not know", () => {
		const proxy = errorFromResponse(
			502,
			new Headers(),
			"<html>Bad gateway</html>",
		);
		expect(proxy).toMatchObject({ code: "INTERNAL_ERROR", status: 502 });
		const newer = errorFromResponse(404, new Headers(), {
			code: "WIDGET_NOT_FOUND",
			message: "no widget",
		});
		expect(newer).toBeInstanceOf(TetherClientError);
		expect(newer).toMatchObject({
			code: "NOT_FOUND",
			details: { serverCode: "WIDGET_NOT_FOUND" },
		});
	});

	it("a malformed body names the field", () => {
		expect(() =>
			parseConnectedAccount({ id: "x", provider: "x", providerAccountId: 7 }),
		).toThrow(/providerAccountId/);
	});
});

describe("an unreachable Tether", () => {
	it("is SERVICE_UNAVAILABLE with status 0, not a raw TypeError", async () => {
		const client = createTetherClient({
			baseUrl: "http://127.0.0.1:9",
			storage: memoryStorage(),
		});
		await expect(
			client.handleRedirectCallback("http://127.0.0.1:5999/app/?code=abc"),
		).rejects.toMatchObject({
			code: "SERVICE_UNAVAILABLE",
			status: 0,
			details: { reason: "network_error" },
		});
		client.destroy();
	});
});

describe("the access-token cache", () => {
	const token = (expiresInMs: number | null, value = "t") => ({
		status: "ok" as const,
		data: {
			accessToken: value,
			expiresAt:
				expiresInMs === null ? null : new Date(now + expiresInMs).toISOString(),
			scopes: [],
		},
	});
	let now = 1_000_000;

	it("hands a token out until 30 s before expiry, and shares one load among concurrent asks", async () => {
		const cache = createAccessTokenCache(() => now);
		let loads = 0;
		const load = async () => {
			loads += 1;
			return token(60_000, `t${loads}`);
		};
		const [a, b] = await Promise.all([
			cache.get("me/p/1", ["x", "y"], load),
			cache.get("me/p/1", ["y", "x", "x"], load),
		]);
		expect(loads).toBe(1);
		expect(a).toBe(b);
		now += 29_000;
		await cache.get("me/p/1", ["x", "y"], load);
		expect(loads).toBe(1);
		now += 2_000;
		await cache.get("me/p/1", ["x", "y"], load);
		expect(loads).toBe(2);
	});

	it("forgets on invalidation, including an answer that was in flight then", async () => {
		const cache = createAccessTokenCache(() => now);
		let release: () => void = () => {};
		const slow = cache.get(
			"me/p/1",
			[],
			() =>
				new Promise((resolve) => {
					release = () => resolve(token(600_000, "old"));
				}),
		);
		cache.invalidate({ provider: "p" });
		release();
		await slow;
		const next = await cache.get("me/p/1", [], async () =>
			token(600_000, "new"),
		);
		expect(next.status === "ok" && next.data.accessToken).toBe("new");
	});
});

describe("the storage mutex (no Web Locks)", () => {
	it("lets one holder in at a time", async () => {
		const storage = memoryStorage();
		let inside = 0;
		let most = 0;
		await Promise.all(
			Array.from({ length: 4 }, () =>
				withLock({ name: "t.lock", locks: null, storage }, async () => {
					inside += 1;
					most = Math.max(most, inside);
					await new Promise((resolve) => setTimeout(resolve, 20));
					inside -= 1;
				}),
			),
		);
		expect(most).toBe(1);
		expect(await storage.getItem("t.lock")).toBeNull();
	});
});
