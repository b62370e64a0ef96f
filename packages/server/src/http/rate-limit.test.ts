import type { Context } from "hono";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/index.ts";
import { defaultRateLimits } from "../config/schema.ts";
import {
	clientAddress,
	clientLimitOf,
	createRateLimiter,
	normaliseRoutePath,
	TokenBuckets,
} from "./rate-limit.ts";

function clock(start = 1_000_000) {
	let now = start;
	return {
		now: () => now,
		advance(ms: number) {
			now += ms;
		},
		set(value: number) {
			now = value;
		},
	};
}

describe("token buckets", () => {
	it("allows a burst of `requests`, then one more per `perSeconds / requests`", () => {
		const time = clock();
		const buckets = new TokenBuckets(
			{ requests: 3, perSeconds: 3 },
			1000,
			time.now,
		);
		expect([buckets.take("a"), buckets.take("a"), buckets.take("a")]).toEqual([
			0, 0, 0,
		]);
		expect(buckets.take("a")).toBe(1);
		time.advance(999);
		expect(buckets.take("a")).toBe(1);
		time.advance(1);
		expect(buckets.take("a")).toBe(0);
		expect(buckets.take("a")).toBe(1);
		// Another client has its own budget.
		expect(buckets.take("b")).toBe(0);
	});

	it("says how long until the next request is allowed (Retry-After, whole seconds)", () => {
		const time = clock();
		const buckets = new TokenBuckets(
			{ requests: 5, perSeconds: 60 },
			1000,
			time.now,
		);
		for (let i = 0; i < 5; i++) expect(buckets.take("a")).toBe(0);
		expect(buckets.take("a")).toBe(12);
		time.advance(6_000);
		expect(buckets.take("a")).toBe(6);
	});

	it("never refills past capacity, and a clock going backwards mints nothing", () => {
		const time = clock();
		const buckets = new TokenBuckets(
			{ requests: 2, perSeconds: 1 },
			1000,
			time.now,
		);
		buckets.take("a");
		time.advance(3_600_000);
		expect([buckets.take("a"), buckets.take("a"), buckets.take("a")]).toEqual([
			0, 0, 1,
		]);
		time.advance(-10_000);
		expect(buckets.take("a")).toBeGreaterThan(0);
	});

	it("keeps memory bounded: idle buckets are swept, a flood of clients evicts the oldest", () => {
		const time = clock();
		const buckets = new TokenBuckets(
			{ requests: 10, perSeconds: 10 },
			100,
			time.now,
		);
		for (let i = 0; i < 10_000; i++) buckets.take(`flood-${i}`);
		expect(buckets.size).toBeLessThanOrEqual(100);
		// Once they have all refilled, the next newcomer sweeps them away.
		time.advance(10_000);
		buckets.take("newcomer");
		expect(buckets.size).toBe(1);
	});
});

describe("route keys", () => {
	it.each([
		["/v1/token/exchange", "/v1/token/exchange"],
		["/v1//token/exchange", "/v1/token/exchange"],
		["/V1/Token/Exchange", "/v1/token/exchange"],
		["/v1/token/exchange/", "/v1/token/exchange"],
		["/v1/token%2Fexchange", "/v1/token/exchange"],
		["/v1/token%2fexchange", "/v1/token/exchange"],
		["/v1/token%252Fexchange", "/v1/token/exchange"],
		["/v1/token/%65xchange", "/v1/token/exchange"],
		["/v1/./token/exchange", "/v1/token/exchange"],
		["/v1/x/../token/exchange", "/v1/token/exchange"],
		["/v1/%2e%2e/v1/token/exchange", "/v1/token/exchange"],
		["/v1\\token\\exchange", "/v1/token/exchange"],
		["/v1/token/exchange%FF", "/v1/token/exchange\u00ff"],
		["/../../v1/token", "/v1/token"],
		["/", "/"],
	])("%s → %s", (path, normal) => {
		expect(normaliseRoutePath(path)).toBe(normal);
	});

	it.each([
		["/v1/token", "token"],
		["/v1/token/exchange", "token"],
		["/v1/signin/provider/google", "signin"],
		["/v1/signin/provider/google/callback", "callback"],
		["/v1/link/google/start", "signin"],
		["/v1/signin/provider/google/callback/tokens", null],
		["/v1/token/provider/google", null],
		["/v1/link/google", null],
		["/v1/connected-accounts/me/google/1/access-token", null],
		["/v1/healthz", null],
	])("%s spends the %s budget", (path, limit) => {
		expect(clientLimitOf(path)).toBe(limit);
	});
});

function fakeContext(socket: string, forwardedFor?: string): Context {
	return {
		env: { incoming: { socket: { remoteAddress: socket } } },
		req: {
			header: (name: string) =>
				name === "x-forwarded-for" ? forwardedFor : undefined,
		},
	} as unknown as Context;
}

describe("client address", () => {
	it("is the socket's peer, X-Forwarded-For ignored, by default", () => {
		expect(clientAddress(fakeContext("10.0.0.1", "1.2.3.4"), 0)).toBe(
			"10.0.0.1",
		);
	});

	it("with trustProxy = n, is the n-th address from the right of X-Forwarded-For", () => {
		const header = "6.6.6.6, 1.2.3.4, 10.0.0.2";
		expect(clientAddress(fakeContext("10.0.0.1", header), 1)).toBe("10.0.0.2");
		expect(clientAddress(fakeContext("10.0.0.1", header), 2)).toBe("1.2.3.4");
		// Fewer addresses than hops: the leftmost there is.
		expect(clientAddress(fakeContext("10.0.0.1", "1.2.3.4"), 3)).toBe(
			"1.2.3.4",
		);
		// No header: the socket.
		expect(clientAddress(fakeContext("10.0.0.1"), 1)).toBe("10.0.0.1");
	});

	it("keys IPv6 clients by their /64 and IPv4-mapped ones as IPv4", () => {
		expect(clientAddress(fakeContext("2001:db8:0:1:aaaa::1"), 0)).toBe(
			"2001:db8:0:1::/64",
		);
		expect(clientAddress(fakeContext("2001:db8:0:1:bbbb:cccc:dddd:2"), 0)).toBe(
			"2001:db8:0:1::/64",
		);
		expect(clientAddress(fakeContext("2001:db8::5"), 0)).toBe(
			"2001:db8:0:0::/64",
		);
		expect(clientAddress(fakeContext("::1"), 0)).toBe("0:0:0:0::/64");
		expect(clientAddress(fakeContext("::ffff:192.0.2.7"), 0)).toBe("192.0.2.7");
	});

	it("is a fixed key outside node:http (app.request in tests)", () => {
		const context = {
			env: undefined,
			req: { header: () => undefined },
		} as unknown as Context;
		expect(clientAddress(context, 0)).toBe("unknown");
	});
});

describe("rate-limit configuration", () => {
	const base = {
		baseUrl: "http://127.0.0.1:3000",
		database: "sqlite::memory:",
		mode: "development",
	};

	it("defaults to defaultRateLimits and trustProxy 0", () => {
		const config = parseConfig(base);
		expect(config.rateLimits).toEqual(defaultRateLimits);
		expect(config.trustProxy).toBe(0);
	});

	it("takes `false` for all limits or for one, and fills in the rest", () => {
		expect(parseConfig({ ...base, rateLimits: false }).rateLimits).toBe(false);
		expect(
			parseConfig({
				...base,
				rateLimits: { token: false, api: { requests: 10, perSeconds: 1 } },
			}).rateLimits,
		).toEqual({
			...defaultRateLimits,
			token: false,
			api: { requests: 10, perSeconds: 1 },
		});
	});

	it("refuses nonsense", () => {
		expect(() =>
			parseConfig({
				...base,
				rateLimits: { token: { requests: 0, perSeconds: 1 } },
			}),
		).toThrow(/rateLimits/);
		expect(() => parseConfig({ ...base, trustProxy: -1 })).toThrow(
			/trustProxy/,
		);
		expect(() => parseConfig({ ...base, rateLimits: { tokn: false } })).toThrow(
			/rateLimits/,
		);
	});

	it("with `false`, adds no work at all", () => {
		const limiter = createRateLimiter({
			rateLimits: false,
			trustProxy: 0,
			now: Date.now,
		});
		expect(limiter.byClient).toBe(limiter.byPrincipal);
	});
});
