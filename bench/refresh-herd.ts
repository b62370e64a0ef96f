/**
 * Refresh herd: many concurrent requests for one expired token must make exactly one refresh.
 *
 *   npx tsx bench/refresh-herd.ts [--requests 1000] [--rounds 5] [--processes 1,3]
 *                                 [--systems tether,better-auth]
 *
 * The upstream is the real oidc-provider from @tether/testkit (strict refresh-token rotation: a
 * reused refresh token gets invalid_grant and revokes the grant), in this process. Tether runs in
 * child processes with `refreshMarginSeconds: 1` and its background loops off (so the proactive
 * refresher cannot refresh ahead of the herd); with several processes they share one database and
 * one base URL, and the requests are dealt round-robin across them. Each round signs in a new
 * upstream account, waits until its access token has expired, fires the requests at once (one
 * connection each) and reads the upstream's counters. SQLite always; PostgreSQL (a fresh schema)
 * too when TETHER_TEST_DATABASE_URL is set.
 *
 * The peer, Better Auth (`better-auth`), runs the same way: N processes on one SQLite file (WAL),
 * the herd on `POST /api/auth/get-access-token`. It refreshes when under 5 s are left, so its
 * upstream issues 7-second tokens (Tether's: 2-second tokens, 1 s margin): both treat a token as
 * due a second or two after it was issued, and both herds start after the token really expired.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import {
	accessTokenPath,
	type ChildHandle,
	createBenchDatabase,
	type DatabaseKind,
	freePort,
	logFileFor,
	machine,
	median,
	percentile,
	postgresUrl,
	round1,
	signIn,
	sleep,
	startBenchUpstream,
	startTetherProcess,
	type Upstream,
	writeResults,
} from "./lib/common.ts";
import {
	betterAuthCallbackUrl,
	betterAuthSqliteFile,
	betterAuthTokenRequest,
	signInBetterAuth,
	startBetterAuthProcess,
} from "./lib/peer.ts";

const { values: args } = parseArgs({
	options: {
		requests: { type: "string", default: "1000" },
		rounds: { type: "string", default: "5" },
		processes: { type: "string", default: "1,3" },
		systems: { type: "string", default: "tether,better-auth" },
	},
});
const systems = args.systems.split(",").filter((s) => s !== "");
const requests = Number(args.requests);
const rounds = Number(args.rounds);
const processCounts = args.processes.split(",").map(Number);
const tokenTtlSeconds = 2;
/** Better Auth refreshes under 5 s left; 7-second tokens are due 2 s after they were issued. */
const peerTokenTtlSeconds = 7;
const peerRefreshMarginSeconds = 5;

type System = "tether" | "better-auth";

/** One system's processes for a configuration, and how to get a herd's request for an account. */
interface Deployment {
	ports: number[];
	/** Tether's log files ("refreshed" lines); none for the peer. */
	logs: string[];
	children: ChildHandle[];
	/** A cheap GET that opens the herd's connections beforehand. */
	healthPath: string;
	signIn(account: string): Promise<HerdRequest>;
	stop(): Promise<void>;
}

interface HerdRequest {
	path: string;
	headers: Record<string, string>;
	body: string;
}

interface RoundResult {
	round: number;
	account: string;
	/** Refresh-token grants that reached the upstream during the herd. */
	upstreamRefreshes: number;
	upstreamRefreshSuccesses: number;
	upstreamInvalidGrants: number;
	upstreamGrantsRevoked: number;
	/** "refreshed" lines in the Tether processes' logs during the herd. */
	loggedRefreshes: number;
	/** Time between consecutive refreshes' log lines, ms. */
	refreshGapsMs: number[];
	/** Refreshes less than 1 s (TTL − margin) after the previous one: should be 0. */
	earlyRefreshes: number;
	ok: number;
	failed: number;
	statuses: Record<string, number>;
	errors: string[];
	distinctAccessTokens: number;
	/** A request made after the herd: its status. */
	afterwards: number;
	/**
	 * The upstream's userinfo endpoint with the token that request got: 200 when the token really
	 * works (a grant revoked for refresh-token reuse kills its access tokens too).
	 */
	afterwardsUpstream: number;
	/** Of the distinct tokens the herd was given, how many the upstream still accepts. */
	liveTokens: number;
	wallMs: number;
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
}

/**
 * One connection per request, opened before the herd (a health check on each): the requests then
 * really arrive together, instead of queueing in the listen backlog behind TCP handshakes.
 */
const agent = new Agent({
	keepAlive: true,
	maxSockets: Number.POSITIVE_INFINITY,
	maxFreeSockets: Number.POSITIVE_INFINITY,
});

function get(url: string): Promise<number> {
	return new Promise((resolve) => {
		const req = request(url, { agent }, (res) => {
			res.resume();
			res.on("end", () => resolve(res.statusCode ?? 0));
		});
		req.on("error", () => resolve(0));
		req.end();
	});
}

function post(
	url: string,
	herd: HerdRequest,
): Promise<{
	status: number;
	accessToken?: string;
	expiresAt?: string;
	error?: string;
	ms: number;
}> {
	const started = performance.now();
	const body = herd.body;
	return new Promise((resolve) => {
		const fail = (error: Error) =>
			resolve({
				status: 0,
				error: `${error.name}: ${error.message}`,
				ms: performance.now() - started,
			});
		const req = request(
			url,
			{
				method: "POST",
				agent,
				headers: {
					...herd.headers,
					"content-length": Buffer.byteLength(body),
				},
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (chunk: Buffer) => chunks.push(chunk));
				res.on("error", fail);
				res.on("end", () => {
					let parsed: {
						accessToken?: unknown;
						expiresAt?: unknown;
						accessTokenExpiresAt?: unknown;
					} = {};
					try {
						parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
					} catch {
						// Not JSON: counted by its status.
					}
					resolve({
						status: res.statusCode ?? 0,
						...(typeof parsed.accessToken === "string"
							? { accessToken: parsed.accessToken }
							: {}),
						...(typeof parsed.expiresAt === "string"
							? { expiresAt: parsed.expiresAt }
							: typeof parsed.accessTokenExpiresAt === "string"
								? { expiresAt: parsed.accessTokenExpiresAt }
								: {}),
						ms: performance.now() - started,
					});
				});
			},
		);
		req.on("error", fail);
		req.end(body);
	});
}

/** The upstream's userinfo status for an access token (200: the token works). */
async function userinfo(upstream: Upstream, token: string): Promise<number> {
	const response = await fetch(upstream.endpoints.userinfoEndpoint, {
		headers: { authorization: `Bearer ${token}` },
	});
	await response.body?.cancel();
	return response.status;
}

/** When each "refreshed" log line of the Tether processes was written (epoch ms), in order. */
function refreshTimes(files: string[]): number[] {
	const times: number[] = [];
	for (const file of files) {
		for (const line of readFileSync(file, "utf8").split("\n")) {
			if (!line.includes('"msg":"refreshed"')) continue;
			const { time } = JSON.parse(line) as { time: string };
			times.push(Date.parse(time));
		}
	}
	return times.sort((a, b) => a - b);
}

/** Tether: N processes on one database behind one base URL, background loops off. */
async function deployTether(
	database: DatabaseKind,
	processes: number,
	upstream: Upstream,
): Promise<Deployment> {
	const db = await createBenchDatabase(database);
	const children: ChildHandle[] = [];
	const logs: string[] = [];
	const ports: number[] = [];
	for (let i = 0; i < processes; i++) ports.push(await freePort());
	const baseUrl = `http://127.0.0.1:${ports[0]}`;
	await upstream.addRedirectUri(
		`${baseUrl}/v1/signin/provider/upstream/callback`,
	);
	// One after the other: the first migrates and creates the signing key the others load.
	for (const [index, port] of ports.entries()) {
		const logFile = logFileFor(`herd-${database}-${index}`);
		logs.push(logFile);
		children.push(
			await startTetherProcess(
				{
					port,
					baseUrl,
					database: db.url,
					...(db.schema === undefined ? {} : { schema: db.schema }),
					logLevel: "info",
					refreshMarginSeconds: 1,
					background: false,
					rateLimits: false,
					upstream: {
						issuer: upstream.issuer,
						clientId: upstream.clientId,
						clientSecret: upstream.clientSecret,
					},
				},
				{ logFile },
			),
		);
	}
	return {
		ports,
		logs,
		children,
		healthPath: "/v1/healthz",
		async signIn(account) {
			const session = await signIn(baseUrl, account);
			return {
				path: accessTokenPath("me", account),
				headers: {
					authorization: `Bearer ${session.accessToken}`,
					"content-type": "application/json",
				},
				body: "{}",
			};
		},
		async stop() {
			for (const child of children) await child.stop();
			await db.drop().catch(() => {});
		},
	};
}

/** Better Auth: N processes on one SQLite file (WAL) behind one base URL. */
async function deployBetterAuth(
	processes: number,
	upstream: Upstream,
): Promise<Deployment> {
	const sqliteFile = betterAuthSqliteFile();
	const children: ChildHandle[] = [];
	const ports: number[] = [];
	for (let i = 0; i < processes; i++) ports.push(await freePort());
	const baseUrl = `http://127.0.0.1:${ports[0]}`;
	await upstream.addRedirectUri(betterAuthCallbackUrl(baseUrl));
	for (const [index, port] of ports.entries())
		children.push(
			await startBetterAuthProcess({
				port,
				baseUrl,
				sqliteFile,
				migrate: index === 0,
				upstream: {
					issuer: upstream.issuer,
					clientId: upstream.clientId,
					clientSecret: upstream.clientSecret,
				},
			}),
		);
	return {
		ports,
		logs: [],
		children,
		healthPath: "/api/auth/ok",
		async signIn(account) {
			return betterAuthTokenRequest(
				baseUrl,
				await signInBetterAuth(baseUrl, account),
			);
		},
		async stop() {
			for (const child of children) await child.stop();
		},
	};
}

const started = Date.now();
const upstreams = {
	tether: await startBenchUpstream(tokenTtlSeconds),
	"better-auth": await startBenchUpstream(peerTokenTtlSeconds),
};
const ttlOf = { tether: tokenTtlSeconds, "better-auth": peerTokenTtlSeconds };
const marginOf = { tether: 1, "better-auth": peerRefreshMarginSeconds };
const configs: {
	system: System;
	database: DatabaseKind;
	processes: number;
}[] = [];
for (const system of ["tether", "better-auth"] as const) {
	if (!systems.includes(system)) continue;
	for (const database of ["sqlite", "postgres"] as const) {
		if (database === "postgres" && postgresUrl() === undefined) continue;
		// Better Auth is measured as in the access-token run: on SQLite.
		if (system === "better-auth" && database === "postgres") continue;
		for (const processes of processCounts)
			configs.push({ system, database, processes });
	}
}

const report: {
	system: System;
	database: DatabaseKind;
	processes: number;
	rounds: RoundResult[];
}[] = [];

try {
	for (const config of configs) {
		const upstream = upstreams[config.system];
		const ttl = ttlOf[config.system];
		const deployment =
			config.system === "tether"
				? await deployTether(config.database, config.processes, upstream)
				: await deployBetterAuth(config.processes, upstream);
		const { ports, logs } = deployment;
		try {
			const results: RoundResult[] = [];
			for (let round = 0; round < rounds; round++) {
				const account = `herd-${config.system}-${config.database}-${config.processes}p-${round}`;
				const herd = await deployment.signIn(account);
				const signedInAt = Date.now();
				// The upstream issued the token before the sign-in answered, so this is past its expiry.
				await sleep(ttl * 1000 + 200 - (Date.now() - signedInAt));
				// Open the herd's connections just before it (the servers keep idle ones 5 s).
				const warm = await Promise.all(
					Array.from({ length: requests }, (_, i) =>
						get(
							`http://127.0.0.1:${ports[i % ports.length]}${deployment.healthPath}`,
						),
					),
				);
				const warmFailures = warm.filter((status) => status !== 200).length;
				if (warmFailures > 0)
					console.warn(`${warmFailures} warm-up health checks failed`);
				const before = structuredClone(upstream.counters);
				const refreshesBefore = refreshTimes(logs).length;
				const herdStarted = performance.now();
				const answers = await Promise.all(
					Array.from({ length: requests }, (_, i) =>
						post(
							`http://127.0.0.1:${ports[i % ports.length]}${herd.path}`,
							herd,
						),
					),
				);
				const wallMs = performance.now() - herdStarted;
				const after = structuredClone(upstream.counters);
				const refreshedAt = refreshTimes(logs).slice(refreshesBefore);
				// A refresh finishing within the fresh window of the previous one (TTL − margin = 1 s)
				// began while a fresh token was stored (or overlapped it): a single-flight failure. Later
				// ones are due: a herd that outlasts a 2-second token's fresh second refreshes it again.
				// (Tether only: the peer writes no log line per refresh.)
				const early = refreshedAt.filter(
					(at, i) => i > 0 && at - (refreshedAt[i - 1] as number) < 1000,
				).length;
				const statuses: Record<string, number> = {};
				for (const answer of answers)
					statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
				const errors = [
					...new Set(
						answers.flatMap((a) => (a.error === undefined ? [] : [a.error])),
					),
				].slice(0, 5);
				const later = await post(
					`http://127.0.0.1:${ports[0]}${herd.path}`,
					herd,
				);
				const afterwards = later.status;
				const afterwardsUpstream =
					later.accessToken === undefined
						? 0
						: await userinfo(upstream, later.accessToken);
				const handedOut = [
					...new Set(
						answers.flatMap((a) =>
							a.accessToken === undefined ? [] : [a.accessToken],
						),
					),
				];
				let liveTokens = 0;
				for (const token of handedOut)
					if ((await userinfo(upstream, token)) === 200) liveTokens += 1;
				const latencies = answers.map((a) => a.ms);
				const result: RoundResult = {
					round,
					account,
					upstreamRefreshes:
						after.tokenRequests.refresh_token -
						before.tokenRequests.refresh_token,
					upstreamRefreshSuccesses:
						after.refreshSuccesses - before.refreshSuccesses,
					upstreamInvalidGrants: after.invalidGrants - before.invalidGrants,
					upstreamGrantsRevoked: after.grantsRevoked - before.grantsRevoked,
					loggedRefreshes: refreshedAt.length,
					refreshGapsMs: refreshedAt
						.slice(1)
						.map((at, i) => at - (refreshedAt[i] as number)),
					earlyRefreshes: early,
					ok: statuses[200] ?? 0,
					failed: requests - (statuses[200] ?? 0),
					statuses,
					errors,
					distinctAccessTokens: handedOut.length,
					liveTokens,
					afterwards,
					afterwardsUpstream,
					wallMs: Math.round(wallMs),
					p50Ms: round1(median(latencies)),
					p99Ms: round1(percentile(latencies, 99)),
					maxMs: round1(Math.max(...latencies)),
				};
				results.push(result);
				console.log(
					`${config.system} ${config.database} × ${config.processes} process(es), round ${round + 1}/${rounds}: ` +
						`${result.upstreamRefreshes} refresh(es) upstream (${result.upstreamRefreshSuccesses} ok, ${result.upstreamInvalidGrants} invalid_grant), ${result.ok} ok, ${result.failed} failed ${JSON.stringify(statuses)}, ` +
						`${result.distinctAccessTokens} distinct token(s), ${liveTokens} live upstream (refresh gaps ${JSON.stringify(result.refreshGapsMs)} ms, early ${early}), revoked grants ${result.upstreamGrantsRevoked}, ` +
						`afterwards ${afterwards} (upstream ${afterwardsUpstream}), wall ${result.wallMs} ms (p50 ${result.p50Ms}, p99 ${result.p99Ms}, max ${result.maxMs})` +
						(errors.length > 0 ? `\n  errors: ${errors.join("; ")}` : ""),
				);
			}
			report.push({ ...config, rounds: results });
		} finally {
			await deployment.stop();
		}
	}

	const summary = report.map((entry) => ({
		system: entry.system,
		database: entry.database,
		processes: entry.processes,
		rounds: entry.rounds.length,
		refreshesPerRound: entry.rounds.map((r) => r.upstreamRefreshes),
		invalidGrantsPerRound: entry.rounds.map((r) => r.upstreamInvalidGrants),
		earlyRefreshes: entry.rounds.reduce((sum, r) => sum + r.earlyRefreshes, 0),
		failedPerRound: entry.rounds.map((r) => r.failed),
		distinctTokensPerRound: entry.rounds.map((r) => r.distinctAccessTokens),
		grantsRevoked: entry.rounds.reduce(
			(s, r) => s + r.upstreamGrantsRevoked,
			0,
		),
		liveTokensPerRound: entry.rounds.map((r) => r.liveTokens),
		/** Rounds after which a new request did not get a token the upstream accepts. */
		accountsLost: entry.rounds.filter(
			(r) => r.afterwards !== 200 || r.afterwardsUpstream !== 200,
		).length,
		medianWallMs: median(entry.rounds.map((r) => r.wallMs)),
		medianP99Ms: median(entry.rounds.map((r) => r.p99Ms)),
	}));
	console.log("\nsummary");
	console.table(
		summary.map((s) => ({
			system: s.system,
			database: s.database,
			processes: s.processes,
			"refreshes/round": s.refreshesPerRound.join(" "),
			early: s.earlyRefreshes,
			"failed/round": s.failedPerRound.join(" "),
			"tokens/round": s.distinctTokensPerRound.join(" "),
			"live/round": s.liveTokensPerRound.join(" "),
			revoked: s.grantsRevoked,
			lost: s.accountsLost,
			"wall ms": s.medianWallMs,
		})),
	);
	const file = writeResults("refresh-herd", {
		benchmark: "refresh-herd",
		date: new Date().toISOString(),
		machine: machine(),
		loadAverage: loadavg().map(round1),
		settings: {
			requests,
			rounds,
			processCounts,
			systems,
			upstreamAccessTokenTtlSeconds: ttlOf,
			refreshMarginSeconds: marginOf,
			upstream: "oidc-provider (testkit), strict refresh-token rotation",
		},
		summary,
		details: report,
		wallSeconds: Math.round((Date.now() - started) / 1000),
	});
	console.log(
		`\nwrote ${file} (${Math.round((Date.now() - started) / 1000)} s)`,
	);
} finally {
	agent.destroy();
	await upstreams.tether.close();
	await upstreams["better-auth"].close();
}
