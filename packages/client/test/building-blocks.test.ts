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
import {
	createBrowserLinkDriver,
	linkChannelName,
	popupFlowParam,
} from "../src/link-driver.ts";
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

describe("link landings, without a network", () => {
	const noNetwork = () => {
		const calls: string[] = [];
		return {
			calls,
			fetch: async (input: string) => {
				calls.push(input);
				throw new Error("no network in this test");
			},
		};
	};
	const app = "http://127.0.0.1:5999/app/";

	it("a link popup's landing announces the code to its opener and redeems nothing", async () => {
		const network = noNetwork();
		const client = createTetherClient({
			baseUrl: "http://127.0.0.1:9",
			storage: memoryStorage(),
			fetch: network.fetch,
		});
		const listener = new BroadcastChannel(linkChannelName);
		const heard = new Promise<unknown>((resolve) => {
			listener.onmessage = (event: MessageEvent) => resolve(event.data);
		});
		const result = await client.handleRedirectCallback(
			`${app}?linked=upstream&link_code=abc&${popupFlowParam}=flow-1`,
		);
		expect(result).toEqual({ type: "handed-to-opener", provider: "upstream" });
		expect(await heard).toEqual({
			flow: "flow-1",
			linked: "upstream",
			linkCode: "abc",
		});
		listener.close();
		expect(network.calls).toEqual([]);
		client.destroy();
	});

	it("linked= without a link_code is refused; error=ACCOUNT_ALREADY_LINKED keeps its code", async () => {
		const network = noNetwork();
		const client = createTetherClient({
			baseUrl: "http://127.0.0.1:9",
			storage: memoryStorage(),
			fetch: network.fetch,
		});
		await expect(
			client.handleRedirectCallback(`${app}?linked=upstream`),
		).rejects.toMatchObject({
			code: "INVALID_REQUEST",
			details: { reason: "missing_link_code" },
		});
		await expect(
			client.handleRedirectCallback(`${app}?error=ACCOUNT_ALREADY_LINKED`),
		).rejects.toMatchObject({ code: "ACCOUNT_ALREADY_LINKED", status: 409 });
		expect(network.calls).toEqual([]);
		client.destroy();
	});

	it("the opener takes its own popup's announcement, once, and ignores other tabs' flows", async () => {
		let closed = false;
		const driver = createBrowserLinkDriver({
			redirect: () => {},
			openPopup: () => ({
				get closed() {
					return closed;
				},
				location: {
					get href(): string {
						throw new DOMException("cross-origin", "SecurityError");
					},
				},
				close() {
					closed = true;
				},
			}),
			pollMs: 10,
		});
		const landing = driver({
			provider: "upstream",
			url: "http://127.0.0.1:9/v1/link/upstream/start?intent=x",
			mode: "popup",
			redirectTo: `${app}?${popupFlowParam}=mine`,
			reason: "insufficient_scopes",
			missingScopes: [],
			providerAccountId: undefined,
			popupFlow: "mine",
		});
		const tab = new BroadcastChannel(linkChannelName);
		tab.postMessage({
			flow: "another-tab",
			linked: "upstream",
			linkCode: "theirs",
		});
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(closed).toBe(false);
		tab.postMessage({ flow: "mine", linked: "upstream", linkCode: "ours" });
		tab.postMessage({ flow: "mine", linked: "upstream", linkCode: "again" });
		expect(await landing).toEqual({ linkCode: "ours" });
		expect(closed).toBe(true);
		tab.close();
	});
});
