import { describe, expect, it } from "vitest";
import {
	type RawRequest,
	rawRequest,
} from "../../packages/server/test/raw-http.ts";
import { tally } from "../support/tally.ts";
import { call, itLeavesNoSecrets, signIn } from "./support/flows.ts";
import {
	appUrl,
	type SecurityTether,
	useSecurityTether,
} from "./support/security-tether.ts";

/** The budget of the one limit each process has on; an hour-long window, so nothing refills mid-test. */
const budget = 5;
const attempts = budget * 4;

/**
 * Rate limits that a client cannot step around: the path spelled differently (`//`, case, `%2F`,
 * double encoding, dot segments, a trailing slash), a new `X-Forwarded-For` (or any other
 * client-address header) on every request, or a new session for the same user. Each limit class
 * runs in its own Tether process with only that limit on, so the budgets do not mix.
 *
 * The measure: of many requests mixing every spelling and header, exactly the budget gets through
 * (served, or the router's 404 for a spelling it does not route, which spends the budget all the
 * same); every other answer is 429 with Retry-After. A spelling or address the limiter keyed apart
 * would let more through.
 */
const addressHeaders = (i: number): [string, string][] => [
	["X-Forwarded-For", `203.0.113.${i}, 198.51.100.${i}`],
	["X-Real-IP", `192.0.2.${i}`],
	["Forwarded", `for=192.0.2.${i}`],
	["True-Client-IP", `192.0.2.${i}`],
	["CF-Connecting-IP", `192.0.2.${i}`],
];

/** Ways to write one path that a careless limiter would key apart. */
function spellings(path: string): string[] {
	const [, first = "", ...rest] = path.split("/");
	const tail = rest.join("/");
	const query = path.includes("?") ? "" : "?x=1";
	return [
		path,
		path.replace("/v1/", "/v1//"),
		`/${path}`,
		path
			.toUpperCase()
			.replace("?REDIRECTTO=", "?redirectTo=")
			.replace("?STATE=", "?state="),
		`/${first}/${tail.replace("/", "%2F")}`,
		`/${first}%2F${tail.replace(/\//g, "%2F")}`,
		`/${first}/${tail.replace("/", "%252F")}`,
		path.replace(/(\?|$)/, "/$1"),
		path.replace("/v1/", "/v1/./"),
		path.replace("/v1/", "/v1/x/../"),
		path.replace("/v1/", "/v1\\"),
		`${path}${query}`,
	];
}

interface Outcome {
	status: number;
	code: string | undefined;
}

async function send(port: number, request: RawRequest): Promise<Outcome> {
	const answer = await rawRequest(port, request);
	let code: string | undefined;
	try {
		code = JSON.parse(answer.text()).code;
	} catch {
		code = undefined;
	}
	if (answer.status === 429)
		expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
	return { status: answer.status, code };
}

/**
 * Answers Tether let through: not 429, and from Tether (a JSON error code or a success; Node's own
 * parser refuses some spellings, a backslash in the target say, before Tether sees them).
 */
const letThrough = (outcomes: Outcome[]) =>
	outcomes.filter(
		(o) => o.status !== 429 && (o.code !== undefined || o.status < 400),
	);

/** Exactly the budget got through: every spelling and address spent from one bucket. */
function expectOneBudget(outcomes: Outcome[]) {
	expect(
		letThrough(outcomes).length,
		JSON.stringify(tally(outcomes, (o) => `${o.status} ${o.code}`)),
	).toBe(budget);
}

function limitOnly(name: string) {
	return {
		rateLimits: {
			signin: false,
			callback: false,
			token: false,
			api: false,
			secretKey: false,
			[name]: { requests: budget, perSeconds: 3600 },
		},
	};
}

describe("rate limits and their bypass attempts, against real Tether processes", () => {
	const limited = (
		name: string,
		config: Record<string, unknown> = limitOnly(name),
	) =>
		// Buckets live in each process's memory: SQLite always, so five processes do not hold
		// fifty PostgreSQL connections while other suites need theirs.
		useSecurityTether({
			name: `security-rate-${name}`,
			config,
			database: "sqlite",
		});
	const tethers: Record<string, () => SecurityTether> = {
		token: limited("token"),
		signin: limited("signin"),
		callback: limited("callback"),
		api: limited("api"),
		// Behind one proxy: the client is the address that proxy appends last.
		proxied: limited("proxied", { ...limitOnly("token"), trustProxy: 1 }),
	};
	const the = (name: string): SecurityTether => {
		const tether = tethers[name];
		if (tether === undefined) throw new Error(`no ${name} process`);
		return tether();
	};

	/** Sends `attempts` requests cycling through spellings and forged client addresses. */
	async function hammer(
		tether: SecurityTether,
		requests: RawRequest[],
	): Promise<Outcome[]> {
		const outcomes: Outcome[] = [];
		for (let i = 0; i < attempts; i++) {
			const base = requests[i % requests.length] as RawRequest;
			outcomes.push(
				await send(tether.port, {
					...base,
					headers: [...(base.headers ?? []), ...addressHeaders(i)],
				}),
			);
		}
		return outcomes;
	}

	const json = (target: string, body: unknown): RawRequest => ({
		method: "POST",
		target,
		headers: [["Content-Type", "application/json"]],
		body: JSON.stringify(body),
	});

	it("holds the token limit (/v1/token/exchange and /v1/token share it) whatever the spelling or forwarded address", async () => {
		const tether = the("token");
		const requests = [
			...spellings("/v1/token/exchange").map((target) =>
				json(target, { code: "c".repeat(43) }),
			),
			...spellings("/v1/token").map((target) =>
				json(target, { refreshToken: "r".repeat(43) }),
			),
		];
		const outcomes = await hammer(tether, requests);
		expectOneBudget(outcomes);
		expect(
			(
				await send(
					tether.port,
					json("/v1/token/exchange", { code: "c".repeat(43) }),
				)
			).status,
		).toBe(429);
	});

	it("holds the sign-in start limit, link starts included", async () => {
		const tether = the("signin");
		const start = `/v1/signin/provider/upstream?redirectTo=${encodeURIComponent(appUrl)}`;
		const requests: RawRequest[] = [
			...spellings(start),
			...spellings("/v1/link/upstream/start?intent=nope"),
		].map((target) => ({ method: "GET", target }));
		const outcomes = await hammer(tether, requests);
		expectOneBudget(outcomes);
		expect(
			(await send(tether.port, { method: "GET", target: start })).status,
		).toBe(429);
	});

	it("holds the callback limit for GET and form POST alike", async () => {
		const tether = the("callback");
		const callback = "/v1/signin/provider/upstream/callback";
		const requests: RawRequest[] = [
			...spellings(`${callback}?state=nope`).map((target) => ({
				method: "GET",
				target,
			})),
			...spellings(callback).map((target) => ({
				method: "POST",
				target,
				headers: [["Content-Type", "application/x-www-form-urlencoded"]] as [
					string,
					string,
				][],
				body: "state=nope&code=nope",
			})),
		];
		const outcomes = await hammer(tether, requests);
		expectOneBudget(outcomes);
	});

	it("holds a user's API budget across paths, forwarded addresses and a fresh session, and leaves other users theirs", async () => {
		const tether = the("api");
		const first = await signIn(tether, "rate-user");
		const second = await signIn(tether, "rate-user");
		expect(second.user.id).toBe(first.user.id);
		const requests: RawRequest[] = [];
		for (const token of [first.accessToken, second.accessToken])
			for (const target of [
				...spellings("/v1/user"),
				...spellings("/v1/connected-accounts/me"),
			])
				requests.push({
					method: "GET",
					target,
					headers: [["Authorization", `Bearer ${token}`]],
				});
		const outcomes = await hammer(tether, requests);
		expectOneBudget(outcomes);
		const other = await signIn(tether, "rate-other-user");
		expect(
			(await call(tether, "GET", "/v1/user", { token: other.accessToken }))
				.status,
		).toBe(200);
	});

	it("behind a trusted proxy, holds the limit however the client fills the left of X-Forwarded-For", async () => {
		const tether = the("proxied");
		const outcomes: Outcome[] = [];
		for (let i = 0; i < attempts; i++)
			outcomes.push(
				await send(tether.port, {
					...json("/v1/token/exchange", { code: "c".repeat(43) }),
					headers: [
						["Content-Type", "application/json"],
						// What the client wrote, then the address the proxy saw and appended.
						["X-Forwarded-For", `198.51.100.${i}, 10.${i}.0.1, 192.0.2.77`],
					],
				}),
			);
		expectOneBudget(outcomes);
	});

	itLeavesNoSecrets(() => the("api"));
	itLeavesNoSecrets(() => the("token"));
});
