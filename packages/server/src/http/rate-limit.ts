import { isIPv6 } from "node:net";
import type { Context, MiddlewareHandler } from "hono";
import type { RateLimit, RateLimitsConfig } from "../config/schema.ts";
import { TetherError } from "../errors.ts";
import type { AppEnv } from "./env.ts";
import type { Principal } from "./principal.ts";

/**
 * Per-client token buckets (SPEC.md: 429 `RATE_LIMITED` with `Retry-After`).
 *
 * - Unauthenticated and credential-bearing entry points are keyed by the client's IP address:
 *   sign-in start and link start (`signin`), the provider callbacks (`callback`), and
 *   `/v1/token/exchange` and `/v1/token` (`token`).
 * - Authenticated API calls are keyed by principal: a session's user (`api`), or the app backend's
 *   secret key (`secretKey`, off by default). This check is one Map lookup on the hot path.
 *
 * The client IP is the socket's peer address, never `X-Forwarded-For`, unless `trustProxy` says how
 * many proxies in front of Tether append to that header. IPv6 clients are keyed by their /64, which
 * one host usually owns whole.
 *
 * Buckets live in this process's memory: with several Tether processes each has its own buckets, so
 * the budget a client gets is multiplied by the number of processes. A shared limit would have to go
 * through the database; per-process limits are the cheap first line.
 */

type Clock = () => number;

/** A limit class: which budget a request spends. */
type ClientLimitName = "signin" | "callback" | "token";

interface Bucket {
	tokens: number;
	/** When `tokens` was last brought up to date (epoch ms). */
	at: number;
}

/**
 * One limit's buckets, by client key. Memory is bounded: a bucket that has refilled completely is
 * the same as no bucket and is dropped by the sweep (at most once per refill window), and when the
 * map is full anyway the oldest entries go first.
 */
export class TokenBuckets {
	private readonly buckets = new Map<string, Bucket>();
	private readonly capacity: number;
	/** Tokens per millisecond. */
	private readonly rate: number;
	private readonly windowMs: number;
	private lastSweep: number;

	constructor(
		limit: RateLimit,
		private readonly maxClients: number,
		private readonly now: Clock,
	) {
		this.capacity = limit.requests;
		this.windowMs = limit.perSeconds * 1000;
		this.rate = limit.requests / this.windowMs;
		this.lastSweep = now();
	}

	get size(): number {
		return this.buckets.size;
	}

	/** Spends one token; returns 0 when allowed, else the seconds until one is available. */
	take(key: string): number {
		const now = this.now();
		const bucket = this.buckets.get(key);
		if (bucket === undefined) {
			this.insert(key, now);
			return 0;
		}
		const elapsed = now > bucket.at ? now - bucket.at : 0;
		let tokens = bucket.tokens + elapsed * this.rate;
		if (tokens > this.capacity) tokens = this.capacity;
		bucket.at = Math.max(now, bucket.at);
		if (tokens >= 1) {
			bucket.tokens = tokens - 1;
			return 0;
		}
		bucket.tokens = tokens;
		return Math.max(1, Math.ceil((1 - tokens) / this.rate / 1000));
	}

	private insert(key: string, now: number): void {
		if (
			this.buckets.size >= this.maxClients ||
			now - this.lastSweep >= this.windowMs
		)
			this.sweep(now);
		if (this.buckets.size >= this.maxClients) {
			// Still full of active clients (a flood from many addresses): drop the oldest tenth.
			let excess = this.buckets.size - Math.floor(this.maxClients * 0.9);
			for (const oldest of this.buckets.keys()) {
				if (excess-- <= 0) break;
				this.buckets.delete(oldest);
			}
		}
		this.buckets.set(key, { tokens: this.capacity - 1, at: now });
	}

	/** Drops buckets that have refilled to capacity: idle clients cost nothing. */
	private sweep(now: number): void {
		this.lastSweep = now;
		for (const [key, bucket] of this.buckets) {
			if (bucket.tokens + (now - bucket.at) * this.rate >= this.capacity)
				this.buckets.delete(key);
		}
	}
}

function rateLimited(retryAfter: number): TetherError {
	return new TetherError(
		"RATE_LIMITED",
		"Too many requests; try again later.",
		{ headers: { "Retry-After": String(retryAfter) } },
	);
}

/**
 * The path as a limit sees it: percent-decoded (so `%2F` is a slash), case-folded, without empty
 * or dot segments or a trailing slash. Every spelling of a route therefore spends the same budget,
 * whether or not the router would serve it.
 */
export function normaliseRoutePath(path: string): string {
	if (
		!/[%A-Z\\]|\/\/|\/\.|\/$/.test(path) // the common case: already normal
	)
		return path;
	let decoded = path;
	// Twice, so a double-encoded `%252F` cannot hide a slash from us either.
	for (let round = 0; round < 2 && decoded.includes("%"); round++) {
		try {
			decoded = decodeURIComponent(decoded);
		} catch {
			decoded = decoded.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
				String.fromCharCode(Number.parseInt(hex, 16)),
			);
		}
	}
	const segments: string[] = [];
	for (const segment of decoded.toLowerCase().split(/[/\\]+/)) {
		if (segment === "" || segment === ".") continue;
		if (segment === "..") segments.pop();
		else segments.push(segment);
	}
	return `/${segments.join("/")}`;
}

/** Which client-keyed budget a (normalised) path spends, if any. */
export function clientLimitOf(path: string): ClientLimitName | null {
	if (path === "/v1/token" || path === "/v1/token/exchange") return "token";
	if (path.startsWith("/v1/signin/provider/")) {
		const rest = path.slice("/v1/signin/provider/".length).split("/");
		if (rest.length === 1) return "signin";
		if (rest.length === 2 && rest[1] === "callback") return "callback";
		return null;
	}
	if (path.startsWith("/v1/link/")) {
		const rest = path.slice("/v1/link/".length).split("/");
		if (rest.length === 2 && rest[1] === "start") return "signin";
	}
	return null;
}

/** An IPv6 address's /64 (one host usually holds a whole /64); IPv4-mapped addresses as IPv4. */
function addressKey(address: string): string {
	if (address.startsWith("::ffff:") && address.includes("."))
		return address.slice("::ffff:".length);
	if (!isIPv6(address)) return address;
	const plain = address.split("%")[0] ?? address;
	const halves = plain.split("::");
	const head =
		halves[0] === "" || halves[0] === undefined ? [] : halves[0].split(":");
	const tail =
		halves[1] === undefined || halves[1] === "" ? [] : halves[1].split(":");
	const groups =
		halves.length === 2
			? [
					...head,
					...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill(
						"0",
					),
					...tail,
				]
			: head;
	return `${groups
		.slice(0, 4)
		.map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""))
		.join(":")}::/64`;
}

interface NodeBindings {
	incoming?: { socket?: { remoteAddress?: string } };
	server?: { incoming?: { socket?: { remoteAddress?: string } } };
}

/**
 * The client's address: the socket peer, or with `trustProxy = n` the n-th address from the right
 * of `X-Forwarded-For` (each trusted proxy appends the address it saw). A header shorter than that
 * gives its leftmost address.
 */
export function clientAddress(c: Context, trustProxy: number): string {
	const env = c.env as NodeBindings | undefined;
	const socket =
		env?.incoming?.socket?.remoteAddress ??
		env?.server?.incoming?.socket?.remoteAddress ??
		"unknown";
	if (trustProxy > 0) {
		const header = c.req.header("x-forwarded-for");
		if (header !== undefined) {
			const hops = header
				.split(",")
				.map((hop) => hop.trim())
				.filter((hop) => hop.length > 0);
			const chosen = hops[Math.max(0, hops.length - trustProxy)];
			// Bounded: the key is stored, and a proxy's header is still client-supplied on the left.
			if (chosen !== undefined) return addressKey(chosen.slice(0, 64));
		}
	}
	return addressKey(socket);
}

export interface RateLimiter {
	/** Before credentials are read: the client-keyed limits of the entry points. */
	byClient: MiddlewareHandler<AppEnv>;
	/** After credentials are read: the principal-keyed limits of the API. */
	byPrincipal: MiddlewareHandler<AppEnv>;
	/** What `byPrincipal` does, without Hono: spends the principal's budget or throws 429. */
	takeForPrincipal(principal: Principal | null): void;
}

const pass: MiddlewareHandler<AppEnv> = (_c, next) => next();

/** The two rate-limit middlewares for a config; pass-throughs where limits are off. */
export function createRateLimiter(input: {
	rateLimits: RateLimitsConfig | false;
	trustProxy: number;
	now: Clock;
}): RateLimiter {
	const { rateLimits, trustProxy, now } = input;
	if (rateLimits === false)
		return { byClient: pass, byPrincipal: pass, takeForPrincipal: () => {} };
	const buckets = (limit: RateLimit | false) =>
		limit === false
			? null
			: new TokenBuckets(limit, rateLimits.maxClients, now);
	const client: Record<ClientLimitName, TokenBuckets | null> = {
		signin: buckets(rateLimits.signin),
		callback: buckets(rateLimits.callback),
		token: buckets(rateLimits.token),
	};
	const sessions = buckets(rateLimits.api);
	const secretKey = buckets(rateLimits.secretKey);

	const byClient: MiddlewareHandler<AppEnv> = (c, next) => {
		const name = clientLimitOf(normaliseRoutePath(c.req.path));
		const limit = name === null ? null : client[name];
		if (limit !== null) {
			const retryAfter = limit.take(clientAddress(c, trustProxy));
			if (retryAfter > 0) throw rateLimited(retryAfter);
		}
		return next();
	};

	const takeForPrincipal = (principal: Principal | null): void => {
		if (principal === null) return;
		const retryAfter =
			principal.kind === "session"
				? (sessions?.take(principal.userId) ?? 0)
				: (secretKey?.take("secret") ?? 0);
		if (retryAfter > 0) throw rateLimited(retryAfter);
	};

	const byPrincipal: MiddlewareHandler<AppEnv> = (c, next) => {
		takeForPrincipal(c.get("principal"));
		return next();
	};

	return {
		byClient:
			client.signin || client.callback || client.token ? byClient : pass,
		byPrincipal: sessions || secretKey ? byPrincipal : pass,
		takeForPrincipal,
	};
}
