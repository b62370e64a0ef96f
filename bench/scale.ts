/**
 * Scale: the access-token path and the proactive refresher with 1,000 to 1,000,000 connected
 * accounts, on SQLite and PostgreSQL.
 *
 *   npx tsx bench/scale.ts [--sizes 1000,100000,1000000] [--databases sqlite,postgres]
 *                          [--rounds 3] [--duration 5] [--connections 1,32]
 *                          [--refresher-accounts 1000] [--variant label=/path/to/server/src/index.ts]
 *                          [--working-set N] [--token-cache N] [--cpu-prof]
 *
 * For each database kind and size, a fresh database is migrated by Tether and seeded directly
 * (bench/lib/seed.ts: one user per account, every row sealed as Tether seals it). Then one Tether
 * process per database (background loops on, as in production, rate limits off) serves the token
 * route with the secret key, each request for a random account of its database; the processes
 * are measured in alternating rounds at each connection count (bench/lib/closed-loop.ts, exact
 * latencies). Recorded per database: seeding time, database size, the server's RSS after the
 * rounds, p50/p99 latency and throughput. PostgreSQL needs TETHER_TEST_DATABASE_URL.
 *
 * The refresher: `--refresher-accounts` random accounts of each database are made due (expiring
 * within a minute, used just now), and a Tether process with the proactive refresher polling every
 * second (batches of 1,000) refreshes them against a token endpoint in this process that answers
 * at once; the rate is refreshes per second between the first and the last one.
 *
 * `--working-set N` draws the requests from the first N accounts only (a hot set the same size at
 * every database size): it separates what the number of stored rows costs from what the number of
 * distinct accounts in use costs (their last-use writes, cache misses).
 *
 * `--token-cache N` sets how many decrypted access tokens each process keeps in memory
 * (`accessTokenCacheEntries`; default Tether's 10,000). With 0 every request reads and decrypts its
 * row: what the number of stored accounts can cost. With the default, a database smaller than the
 * cache is served from memory once warm, so small sizes get faster, not large ones slower.
 *
 * `--cpu-prof` writes each measured Tether process's V8 CPU profiles into
 * bench/results/profiles/scale-<name>/ (the main thread's file has `.0.` before its sequence
 * number; summarise it with bench/cpu-profile-summary.ts).
 *
 * `--variant` also serves each database from another copy of the server (TETHER_BENCH_SERVER, see
 * lib/tether-process.ts), in the same alternating rounds, to measure a change at scale; give it
 * more than once to compare several.
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type ClosedLoopResult, closedLoop } from "./lib/closed-loop.ts";
import {
	type BenchDatabase,
	type ChildHandle,
	createBenchDatabase,
	type DatabaseKind,
	freePort,
	logFileFor,
	machine,
	median,
	postgresUrl,
	resultsDir,
	round1,
	secretKey,
	sleep,
	startTetherProcess,
	writeResults,
} from "./lib/common.ts";
import {
	databaseBytes,
	execute,
	migrate,
	seedAccounts,
	seededAccountId,
	seededScopes,
} from "./lib/seed.ts";

const { values: args } = parseArgs({
	options: {
		sizes: { type: "string", default: "1000,100000,1000000" },
		databases: { type: "string", default: "sqlite,postgres" },
		rounds: { type: "string", default: "3" },
		duration: { type: "string", default: "5" },
		connections: { type: "string", default: "1,32" },
		"refresher-accounts": { type: "string", default: "1000" },
		variant: { type: "string", multiple: true },
		"working-set": { type: "string" },
		"token-cache": { type: "string" },
		"cpu-prof": { type: "boolean", default: false },
	},
});
const sizes = args.sizes.split(",").map(Number);
const kinds = args.databases
	.split(",")
	.filter(
		(kind): kind is DatabaseKind =>
			kind === "sqlite" || (kind === "postgres" && postgresUrl() !== undefined),
	);
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const connectionLevels = args.connections.split(",").map(Number);
const refresherAccounts = Number(args["refresher-accounts"]);
const workingSet =
	args["working-set"] === undefined
		? Number.POSITIVE_INFINITY
		: Number(args["working-set"]);
const providerId = "scale";

/**
 * The provider's token endpoint, in this process: every refresh grant gets new tokens at once, so
 * the refresher's rate is Tether's own (claim, refresh call, seal, versioned write).
 */
let refreshGrants = 0;
const tokenServer = createServer((req, res) => {
	let body = "";
	req.on("data", (chunk: Buffer) => {
		body += chunk.toString("utf8");
	});
	req.on("end", () => {
		const form = new URLSearchParams(body);
		if (req.url !== "/token" || form.get("grant_type") !== "refresh_token") {
			res.writeHead(400, { "content-type": "application/json" });
			res.end('{"error":"unsupported_grant_type"}');
			return;
		}
		refreshGrants += 1;
		res.writeHead(200, {
			"content-type": "application/json",
			"cache-control": "no-store",
		});
		res.end(
			JSON.stringify({
				access_token: crypto.randomUUID() + crypto.randomUUID(),
				token_type: "Bearer",
				expires_in: 3600,
				refresh_token: crypto.randomUUID() + crypto.randomUUID(),
				scope: seededScopes.join(" "),
			}),
		);
	});
});
await new Promise<void>((resolve) =>
	tokenServer.listen(0, "127.0.0.1", resolve),
);
const tokenAddress = tokenServer.address();
if (tokenAddress === null || typeof tokenAddress === "string")
	throw new Error("no token server port");
const providerUrl = `http://127.0.0.1:${tokenAddress.port}`;
const provider = {
	id: providerId,
	type: "oauth2",
	clientId: "scale-client",
	clientSecret: "scale-secret",
	authorizationEndpoint: `${providerUrl}/authorize`,
	tokenEndpoint: `${providerUrl}/token`,
	scopes: seededScopes,
};

interface Setup {
	name: string;
	kind: DatabaseKind;
	size: number;
	db: BenchDatabase;
	userIds: string[];
	seedSeconds: number;
	seedRowsPerSecond: number;
	databaseBytes: number;
	/** Served by another copy of the server (`--variant`); shares the database of its base. */
	variant?: { label: string; entry: string };
	child?: ChildHandle;
	rssBytes?: number;
	peakRssBytes?: number;
}

async function startTether(
	setup: Setup,
	proactiveRefresh?: unknown,
): Promise<ChildHandle> {
	const port = await freePort();
	return startTetherProcess(
		{
			port,
			baseUrl: `http://127.0.0.1:${port}`,
			database: setup.db.url,
			...(setup.db.schema === undefined ? {} : { schema: setup.db.schema }),
			logLevel: "warn",
			rateLimits: false,
			upstream: { issuer: providerUrl, clientId: "", clientSecret: "" },
			provider,
			...(proactiveRefresh === undefined ? {} : { proactiveRefresh }),
			...(args["token-cache"] === undefined
				? {}
				: { accessTokenCacheEntries: Number(args["token-cache"]) }),
		},
		{
			logFile: logFileFor(`scale-${setup.name}`),
			...(setup.variant === undefined
				? {}
				: { env: { TETHER_BENCH_SERVER: setup.variant.entry } }),
			...(args["cpu-prof"] && proactiveRefresh === undefined
				? { execArgv: profileArgs(`scale-${setup.name}`) }
				: {}),
		},
	);
}

/** One file per thread (tsx's loader has its own); the main thread's name has `.0.`. */
function profileArgs(label: string): string[] {
	const dir = join(resultsDir, "profiles", label);
	mkdirSync(dir, { recursive: true });
	return ["--cpu-prof", "--cpu-prof-dir", dir];
}

const pathFor = (setup: Setup, i: number) =>
	`/v1/connected-accounts/${setup.userIds[i]}/${providerId}/${seededAccountId(i)}/access-token`;

const started = Date.now();
const setups: Setup[] = [];
const report: Record<string, unknown> = {};

try {
	for (const kind of kinds)
		for (const size of sizes) {
			const db = await createBenchDatabase(kind);
			await migrate(db);
			const name = `${kind}-${size}`;
			let last = 0;
			const seeded = await seedAccounts(db, providerId, size, (done) => {
				if (done - last >= 100_000 || done === size) {
					last = done;
					process.stdout.write(`\rseeding ${name}: ${done}/${size}`);
				}
			});
			const bytes = await databaseBytes(db);
			console.log(
				`\rseeded ${name}: ${size} accounts in ${round1(seeded.seconds)} s (${seeded.rowsPerSecond} accounts/s), database ${round1(bytes / 2 ** 20)} MiB`,
			);
			setups.push({
				name,
				kind,
				size,
				db,
				userIds: seeded.userIds,
				seedSeconds: round1(seeded.seconds),
				seedRowsPerSecond: seeded.rowsPerSecond,
				databaseBytes: bytes,
			});
		}

	const bases = [...setups];
	for (const variant of args.variant ?? []) {
		const [label = "variant", entry = ""] = variant.split("=");
		for (const base of bases)
			setups.push({
				...base,
				name: `${base.name}-${label}`,
				variant: { label, entry },
			});
	}
	for (const setup of setups) {
		setup.child = await startTether(setup);
		// Every account must open (its AAD binds the row): check a few before measuring.
		for (const i of [0, setup.size - 1, Math.floor(setup.size / 2)]) {
			const response = await fetch(
				`http://127.0.0.1:${setup.child.port}${pathFor(setup, i)}`,
				{
					method: "POST",
					headers: {
						authorization: `Bearer ${secretKey}`,
						"content-type": "application/json",
					},
					body: "{}",
				},
			);
			if (response.status !== 200)
				throw new Error(
					`${setup.name} account ${i}: ${response.status} ${await response.text()}`,
				);
		}
	}

	const samples = new Map<string, (ClosedLoopResult & { load: number })[]>();
	for (const connections of connectionLevels) {
		for (const setup of setups) {
			// Warm-up: JIT, the pool's connections, the database's caches for the hot part.
			await run(setup, connections, 2);
		}
		for (let round = 0; round < rounds; round++) {
			const order = setups.map(
				(_, i) => setups[(i + round) % setups.length] as Setup,
			);
			for (const setup of order) {
				const result = await run(setup, connections, duration);
				const key = `${setup.name}@${connections}`;
				const list = samples.get(key) ?? [];
				list.push({ ...result, load: round1(loadavg()[0] ?? 0) });
				samples.set(key, list);
				console.log(
					`c=${connections} round ${round + 1}/${rounds} ${setup.name.padEnd(18)} ${String(result.rps).padStart(8)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms${result.failed > 0 ? `  failed ${JSON.stringify(result.statuses)}` : ""}  load ${round1(loadavg()[0] ?? 0)}`,
				);
			}
		}
	}
	for (const setup of setups) {
		const memory = setup.child?.rssBytes();
		setup.rssBytes = memory?.rss;
		setup.peakRssBytes = memory?.peak;
		await setup.child?.stop();
		setup.child = undefined;
	}

	// The proactive refresher, one database at a time.
	const refresher: Record<string, unknown>[] = [];
	for (const setup of setups) {
		if (setup.variant !== undefined) continue;
		const count = Math.min(refresherAccounts, setup.size);
		const chosen = new Set<number>();
		while (chosen.size < count)
			chosen.add(Math.floor(Math.random() * setup.size));
		const ids = [...chosen].map(seededAccountId);
		const now = Date.now();
		await execute(
			setup.db,
			{
				sqlite: `UPDATE connected_accounts SET access_token_expires_at = ?, last_used_at = ?
WHERE provider_config_id = ? AND provider_account_id IN (SELECT value FROM json_each(?))`,
				postgres: `UPDATE connected_accounts SET access_token_expires_at = $1, last_used_at = $2
WHERE provider_config_id = $3 AND provider_account_id = ANY($4::text[])`,
			},
			[
				now + 60_000,
				now,
				providerId,
				setup.kind === "sqlite" ? JSON.stringify(ids) : ids,
			],
		);
		const grantsBefore = refreshGrants;
		const phaseStarted = Date.now();
		const child = await startTether(setup, {
			intervalSeconds: 1,
			batchSize: 1000,
		});
		let done = 0;
		const deadline = Date.now() + 180_000;
		let stats: Record<string, unknown> = {};
		while (Date.now() < deadline) {
			await sleep(500);
			[stats = {}] = await execute(
				setup.db,
				{
					sqlite: `SELECT count(*) AS done, min(last_refresh_at) AS first, max(last_refresh_at) AS last
FROM connected_accounts WHERE provider_config_id = ? AND last_refresh_at >= ?`,
					postgres: `SELECT count(*)::int AS done, min(last_refresh_at)::text AS first,
	max(last_refresh_at)::text AS last
FROM connected_accounts WHERE provider_config_id = $1 AND last_refresh_at >= $2`,
				},
				[providerId, phaseStarted],
			);
			done = Number(stats.done ?? 0);
			if (done >= count) break;
		}
		await child.stop();
		const first = Number(stats.first ?? 0);
		const last = Number(stats.last ?? 0);
		const entry = {
			database: setup.name,
			kind: setup.kind,
			size: setup.size,
			due: count,
			refreshed: done,
			providerGrants: refreshGrants - grantsBefore,
			spanSeconds: round1((last - first) / 1000),
			refreshesPerSecond:
				last > first ? round1(((done - 1) * 1000) / (last - first)) : null,
		};
		refresher.push(entry);
		console.log(
			`refresher ${setup.name}: ${done}/${count} refreshed, ${entry.refreshesPerSecond} refreshes/s (provider saw ${entry.providerGrants})`,
		);
	}

	const summary = setups.map((setup) => {
		const byConnections = Object.fromEntries(
			connectionLevels.map((connections) => {
				const own = samples.get(`${setup.name}@${connections}`) ?? [];
				return [
					connections,
					{
						medianRps: round1(median(own.map((s) => s.rps))),
						p50Ms: median(own.map((s) => s.p50Ms)),
						p99Ms: median(own.map((s) => s.p99Ms)),
						failed: own.reduce((sum, s) => sum + s.failed, 0),
					},
				];
			}),
		);
		return {
			database: setup.name,
			kind: setup.kind,
			size: setup.size,
			variant: setup.variant?.label ?? null,
			seedSeconds: setup.seedSeconds,
			seedAccountsPerSecond: setup.seedRowsPerSecond,
			databaseMiB: round1(setup.databaseBytes / 2 ** 20),
			serverRssMiB: round1((setup.rssBytes ?? 0) / 2 ** 20),
			serverPeakRssMiB: round1((setup.peakRssBytes ?? 0) / 2 ** 20),
			byConnections,
			refresher: refresher.find((r) => r.database === setup.name) ?? null,
		};
	});
	// Latency at the largest size over the smallest, per database kind and connection count.
	const ratios = kinds.flatMap((kind) =>
		connectionLevels.map((connections) => {
			const own = summary.filter((s) => s.kind === kind && s.variant === null);
			const small = own[0]?.byConnections[connections];
			const large = own[own.length - 1]?.byConnections[connections];
			return {
				kind,
				connections,
				from: own[0]?.size,
				to: own[own.length - 1]?.size,
				p50Ratio:
					small && large
						? Math.round((large.p50Ms / small.p50Ms) * 100) / 100
						: null,
				p99Ratio:
					small && large
						? Math.round((large.p99Ms / small.p99Ms) * 100) / 100
						: null,
				rpsRatio:
					small && large
						? Math.round((large.medianRps / small.medianRps) * 100) / 100
						: null,
			};
		}),
	);
	console.log("\nsummary (medians over rounds)");
	console.table(
		summary.flatMap((s) =>
			connectionLevels.map((c) => ({
				database: s.database,
				connections: c,
				"req/s": s.byConnections[c]?.medianRps,
				"p50 ms": s.byConnections[c]?.p50Ms,
				"p99 ms": s.byConnections[c]?.p99Ms,
				"RSS MiB": s.serverRssMiB,
				"db MiB": s.databaseMiB,
				"seed s": s.seedSeconds,
			})),
		),
	);
	console.table(ratios);
	Object.assign(report, {
		benchmark: "scale",
		date: new Date().toISOString(),
		machine: machine(),
		loadAverageAtEnd: loadavg().map(round1),
		settings: {
			sizes,
			databases: kinds,
			rounds,
			durationSeconds: duration,
			connections: connectionLevels,
			request: "secret key, a random seeded account per request",
			workingSet: Number.isFinite(workingSet) ? workingSet : null,
			accessTokenCacheEntries:
				args["token-cache"] === undefined
					? "default (10000)"
					: Number(args["token-cache"]),
			refresherAccounts,
			refresher: { intervalSeconds: 1, batchSize: 1000 },
		},
		summary,
		ratios,
		samples: Object.fromEntries(samples),
		wallSeconds: Math.round((Date.now() - started) / 1000),
	});
	const file = writeResults("scale", report);
	console.log(
		`\nwrote ${file} (${Math.round((Date.now() - started) / 1000)} s)`,
	);
} finally {
	for (const setup of setups) {
		await setup.child?.stop();
		if (setup.variant === undefined) await setup.db.drop().catch(() => {});
	}
	tokenServer.close();
}

function run(setup: Setup, connections: number, seconds: number) {
	const port = setup.child?.port;
	if (port === undefined) throw new Error(`${setup.name} is not running`);
	return closedLoop({
		port,
		connections,
		seconds,
		pick: () =>
			pathFor(
				setup,
				Math.floor(Math.random() * Math.min(setup.size, workingSet)),
			),
		headers: {
			authorization: `Bearer ${secretKey}`,
			"content-type": "application/json",
		},
		body: "{}",
	});
}
