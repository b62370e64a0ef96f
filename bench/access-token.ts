/**
 * Access-token path for a fresh token, side by side with a bare node:http server, in one run.
 *
 *   npx tsx bench/access-token.ts [--rounds 5] [--duration 7] [--connections 50] [--warmup 2]
 *                                 [--levels info] [--credentials session,secret] [--no-floor]
 *                                 [--no-peer] [--only <regex>] [--cpu-prof]
 *                                 [--variant label=/path/to/server/src/index.ts]
 *
 * Each target is its own child process (a server alone on its event loop); autocannon runs in
 * this process. Rounds alternate the targets (order rotated each round); the summary takes
 * medians. Targets:
 * - `bare-node-http`: node:http, a bearer-header check, a constant JSON of the same bytes as
 *   Tether's answer;
 * - `hono-floor`: the same on Hono + @hono/node-server (what Tether is built on), no Tether code;
 * - Tether (`createServer` + `listen`, SQLite in a temp dir, rate limits off) at each log level,
 *   called with a session JWT (`/me/…`) and, with `--credentials session,secret`, with the secret
 *   key (`/<user id>/…`); with TETHER_TEST_DATABASE_URL set, also on PostgreSQL (a fresh schema,
 *   first log level only);
 * - `better-auth` (the peer, `--no-peer` drops it): Better Auth's `POST /api/auth/get-access-token`
 *   for an account linked through its generic OAuth plugin at the same upstream, on SQLite, its
 *   rate limit off, with the session cookie its callback set.
 * Every target answers a fresh token from storage: no request reaches the upstream during a run.
 * `--only` keeps the Tether targets whose name matches. `--cpu-prof` writes each Tether child's
 * V8 CPU profiles into bench/results/profiles/<target>/ (the main thread's file has `.0.` before
 * its sequence number; summarise it with bench/cpu-profile-summary.ts). `--variant` runs the
 * Tether targets again from another copy of the server, to measure a change side by side.
 */
import { mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon, { type Result } from "autocannon";
import {
	accessTokenPath,
	type BenchDatabase,
	type ChildHandle,
	createBenchDatabase,
	type DatabaseKind,
	forkChild,
	freePort,
	logFileFor,
	machine,
	median,
	postgresUrl,
	resultsDir,
	round1,
	round3,
	secretKey,
	signIn,
	startBenchUpstream,
	startTetherProcess,
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
	allowNegative: true,
	options: {
		rounds: { type: "string", default: "5" },
		duration: { type: "string", default: "7" },
		connections: { type: "string", default: "50" },
		levels: { type: "string", default: "info" },
		credentials: { type: "string", default: "session" },
		warmup: { type: "string", default: "2" },
		"cpu-prof": { type: "boolean", default: false },
		/** Keep only the Tether targets whose name matches (the baseline always runs). */
		only: { type: "string" },
		/** The framework floor: Hono on @hono/node-server, same route, constant JSON (`--no-floor`). */
		floor: { type: "boolean", default: true },
		/** Better Auth, the peer (`--no-peer`). */
		peer: { type: "boolean", default: true },
		/**
		 * `label=/path/to/packages/server/src/index.ts`, repeatable: the same Tether targets again
		 * from another copy of the server (see TETHER_BENCH_SERVER in lib/tether-process.ts).
		 */
		variant: { type: "string", multiple: true },
	},
});
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const connections = Number(args.connections);
const warmup = Number(args.warmup);
const levels = args.levels.split(",").filter((level) => level !== "");
const credentials = args.credentials.split(",").filter((c) => c !== "");
const profileDir = join(resultsDir, "profiles");

interface Target {
	name: string;
	/**
	 * bare: node:http alone; framework: Hono on @hono/node-server without Tether's code; peer:
	 * Better Auth.
	 */
	kind: "bare" | "framework" | "tether" | "peer";
	credential: "bearer" | "session" | "secret" | "cookie";
	database?: DatabaseKind;
	logLevel?: string;
	process: ChildHandle;
	request: TargetRequest;
}

interface TargetRequest {
	path: string;
	headers: Record<string, string>;
	body: string;
}

const bearerRequest = (path: string, token: string): TargetRequest => ({
	path,
	headers: {
		authorization: `Bearer ${token}`,
		"content-type": "application/json",
	},
	body: "{}",
});

interface Sample {
	round: number;
	rps: number;
	p50: number;
	p99: number;
	p999: number;
	non2xx: number;
	errors: number;
	timeouts: number;
	statusCodes: Record<string, number>;
	/** 1-minute load average of the machine when the sample ended (other work on the box). */
	loadAverage: number;
	/** Server child CPU per answered request, µs. */
	serverCpuUs: number;
	/** Load generator (this process) CPU per answered request, µs. */
	loadCpuUs: number;
}

function load(target: Target, seconds: number): Promise<Result> {
	return new Promise((resolve, reject) => {
		autocannon(
			{
				url: `http://127.0.0.1:${target.process.port}${target.request.path}`,
				connections,
				duration: seconds,
				pipelining: 1,
				method: "POST",
				headers: target.request.headers,
				body: target.request.body,
			},
			(error, result) => (error ? reject(error) : resolve(result)),
		);
	});
}

async function measure(target: Target, round: number): Promise<Sample> {
	const serverBefore = await target.process.cpuMicros();
	const loadBefore = process.cpuUsage();
	const result = await load(target, duration);
	const loadUsage = process.cpuUsage(loadBefore);
	const serverCpu = (await target.process.cpuMicros()) - serverBefore;
	const answered = result["2xx"];
	return {
		round,
		rps: round1(answered / result.duration),
		p50: result.latency.p50,
		p99: result.latency.p99,
		p999: result.latency.p99_9,
		non2xx: result.non2xx,
		errors: result.errors,
		timeouts: result.timeouts,
		statusCodes: Object.fromEntries(
			Object.entries(result.statusCodeStats).map(([code, { count }]) => [
				code,
				count,
			]),
		),
		loadAverage: round1(loadavg()[0] ?? 0),
		serverCpuUs: round1(serverCpu / Math.max(1, answered)),
		loadCpuUs: round1(
			(loadUsage.user + loadUsage.system) / Math.max(1, answered),
		),
	};
}

async function call(target: Target): Promise<{ status: number; text: string }> {
	const response = await fetch(
		`http://127.0.0.1:${target.process.port}${target.request.path}`,
		{
			method: "POST",
			headers: target.request.headers,
			body: target.request.body,
		},
	);
	return { status: response.status, text: await response.text() };
}

const started = Date.now();
const upstream = await startBenchUpstream(3600);
const children: ChildHandle[] = [];
const databases: BenchDatabase[] = [];
const targets: Target[] = [];

try {
	const variants: { label: string; entry?: string }[] = [
		{ label: "" },
		...(args.variant ?? []).map((spec) => {
			const [label = "", entry = ""] = spec.split("=");
			return { label: `-${label}`, entry };
		}),
	];
	const setups: {
		database: DatabaseKind;
		logLevel: string;
		variant: { label: string; entry?: string };
	}[] = variants.flatMap((variant) => [
		...levels.map((logLevel) => ({
			database: "sqlite" as const,
			logLevel,
			variant,
		})),
		...(postgresUrl() !== undefined && levels[0] !== undefined
			? [{ database: "postgres" as const, logLevel: levels[0], variant }]
			: []),
	]);

	let sampleBody = "";
	let sampleToken = "";
	for (const [index, setup] of setups.entries()) {
		const db = await createBenchDatabase(setup.database);
		databases.push(db);
		const port = await freePort();
		const baseUrl = `http://127.0.0.1:${port}`;
		await upstream.addRedirectUri(
			`${baseUrl}/v1/signin/provider/upstream/callback`,
		);
		const label = `tether-${setup.database}-${setup.logLevel}${setup.variant.label}`;
		if (args["cpu-prof"])
			mkdirSync(join(profileDir, label), { recursive: true });
		const child = await startTetherProcess(
			{
				port,
				baseUrl,
				database: db.url,
				...(db.schema === undefined ? {} : { schema: db.schema }),
				logLevel: setup.logLevel,
				// One user calls as fast as it can here, far past any per-user budget; the peer's rate
				// limit is off too.
				rateLimits: false,
				upstream: {
					issuer: upstream.issuer,
					clientId: upstream.clientId,
					clientSecret: upstream.clientSecret,
				},
			},
			{
				logFile: logFileFor(label),
				...(setup.variant.entry === undefined
					? {}
					: { env: { TETHER_BENCH_SERVER: setup.variant.entry } }),
				...(args["cpu-prof"]
					? {
							// One file per thread (tsx's loader has its own); the main thread's name has `.0.`.
							execArgv: [
								"--cpu-prof",
								"--cpu-prof-dir",
								join(profileDir, label),
							],
						}
					: {}),
			},
		);
		children.push(child);
		const account = `bench${index}`;
		const session = await signIn(baseUrl, account);
		const common = {
			kind: "tether" as const,
			database: setup.database,
			logLevel: setup.logLevel,
			process: child,
		};
		if (credentials.includes("session"))
			targets.push({
				...common,
				name: `${label}-session`,
				credential: "session",
				request: bearerRequest(
					accessTokenPath("me", account),
					session.accessToken,
				),
			});
		if (credentials.includes("secret"))
			targets.push({
				...common,
				name: `${label}-secret`,
				credential: "secret",
				request: bearerRequest(
					accessTokenPath(session.userId, account),
					secretKey,
				),
			});
		sampleToken = session.accessToken;
	}

	if (args.only !== undefined) {
		const keep = new RegExp(args.only);
		targets.splice(
			0,
			targets.length,
			...targets.filter((t) => keep.test(t.name)),
		);
	}
	for (const target of targets) {
		const answer = await call(target);
		if (answer.status !== 200)
			throw new Error(
				`${target.name} answered ${answer.status}: ${answer.text}`,
			);
		sampleBody = answer.text;
	}

	// The baseline answers the same bytes Tether does, behind the same kind of bearer check.
	const bare = await forkChild("bare-process.ts", {
		token: sampleToken,
		body: sampleBody,
	});
	children.push(bare);
	targets.unshift({
		name: "bare-node-http",
		kind: "bare",
		credential: "bearer",
		process: bare,
		request: bearerRequest("/v1/token", sampleToken),
	});

	if (args.floor) {
		const floor = await forkChild("hono-process.ts", {
			token: sampleToken,
			body: sampleBody,
		});
		children.push(floor);
		const template = targets.find((t) => t.credential === "session");
		targets.splice(1, 0, {
			name: "hono-floor",
			kind: "framework",
			credential: "bearer",
			process: floor,
			request: bearerRequest(
				template?.request.path ?? accessTokenPath("me", "bench0"),
				sampleToken,
			),
		});
	}

	if (args.peer) {
		const port = await freePort();
		const baseUrl = `http://127.0.0.1:${port}`;
		await upstream.addRedirectUri(betterAuthCallbackUrl(baseUrl));
		const peer = await startBetterAuthProcess({
			port,
			baseUrl,
			sqliteFile: betterAuthSqliteFile(),
			migrate: true,
			upstream: {
				issuer: upstream.issuer,
				clientId: upstream.clientId,
				clientSecret: upstream.clientSecret,
			},
		});
		children.push(peer);
		const session = await signInBetterAuth(baseUrl, "bench-peer");
		const target: Target = {
			name: "better-auth",
			kind: "peer",
			credential: "cookie",
			database: "sqlite",
			process: peer,
			request: betterAuthTokenRequest(baseUrl, session),
		};
		const answer = await call(target);
		if (answer.status !== 200)
			throw new Error(`better-auth answered ${answer.status}: ${answer.text}`);
		targets.push(target);
	}

	console.log(
		`targets: ${targets.map((t) => t.name).join(", ")}; ${rounds} rounds × ${duration} s, ${connections} connections`,
	);
	for (const target of targets) await load(target, warmup);

	const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
	for (let round = 0; round < rounds; round++) {
		// Rotate the order so no target always runs first (or right after the same neighbour).
		const order = targets.map(
			(_, i) => targets[(i + round) % targets.length] as Target,
		);
		for (const target of order) {
			const sample = await measure(target, round);
			samples.get(target.name)?.push(sample);
			console.log(
				`round ${round + 1}/${rounds} ${target.name.padEnd(28)} ${String(sample.rps).padStart(8)} req/s  p50 ${sample.p50} ms  p99 ${sample.p99} ms  server ${sample.serverCpuUs} µs/req${sample.non2xx + sample.errors > 0 ? `  ${JSON.stringify(sample.statusCodes)} errors ${sample.errors}` : ""}  load ${sample.loadAverage}`,
			);
		}
	}

	const bareSamples = samples.get("bare-node-http") ?? [];
	const bareMedian = median(bareSamples.map((s) => s.rps));
	const summary = targets.map((target) => {
		const own = samples.get(target.name) ?? [];
		const paired = own.map((sample) => {
			const base = bareSamples.find((b) => b.round === sample.round);
			return base === undefined ? Number.NaN : sample.rps / base.rps;
		});
		return {
			target: target.name,
			kind: target.kind,
			credential: target.credential,
			database: target.database ?? null,
			logLevel: target.logLevel ?? null,
			medianRps: round1(median(own.map((s) => s.rps))),
			minRps: Math.min(...own.map((s) => s.rps)),
			maxRps: Math.max(...own.map((s) => s.rps)),
			ratioToBare: round3(median(own.map((s) => s.rps)) / bareMedian),
			pairedRatioMedian: round3(median(paired)),
			p50Ms: median(own.map((s) => s.p50)),
			p99Ms: median(own.map((s) => s.p99)),
			serverCpuUsPerRequest: round1(median(own.map((s) => s.serverCpuUs))),
			loadCpuUsPerRequest: round1(median(own.map((s) => s.loadCpuUs))),
			failures: own.reduce(
				(sum, s) => sum + s.non2xx + s.errors + s.timeouts,
				0,
			),
		};
	});

	console.log("\nsummary (medians over rounds)");
	console.table(
		summary.map((s) => ({
			target: s.target,
			"req/s": s.medianRps,
			"×bare": s.ratioToBare,
			"p50 ms": s.p50Ms,
			"p99 ms": s.p99Ms,
			"server µs/req": s.serverCpuUsPerRequest,
			failures: s.failures,
		})),
	);
	// Experiments (a subset, variants, profiling) go to their own file, not over the plain run's.
	const custom =
		args.only !== undefined ||
		(args.variant ?? []).length > 0 ||
		args["cpu-prof"];
	const file = writeResults(custom ? "access-token-custom" : "access-token", {
		benchmark: "access-token",
		date: new Date().toISOString(),
		machine: machine(),
		settings: {
			rounds,
			durationSeconds: duration,
			warmupSeconds: warmup,
			connections,
			pipelining: 1,
			loadGenerator: "autocannon 8 (in the parent process)",
			body: "{}",
			rateLimits:
				"off (Tether: rateLimits false; Better Auth: rateLimit.enabled false)",
			credentials,
			peer: args.peer ? "better-auth (SQLite, generic OAuth)" : null,
			cpuProfile: args["cpu-prof"],
			only: args.only ?? null,
			variants: args.variant ?? [],
		},
		responseBytes: sampleBody.length,
		summary,
		samples: Object.fromEntries(samples),
		wallSeconds: Math.round((Date.now() - started) / 1000),
	});
	console.log(
		`\nwrote ${file} (${Math.round((Date.now() - started) / 1000)} s)`,
	);
} finally {
	for (const child of children) await child.stop();
	for (const db of databases) await db.drop().catch(() => {});
	await upstream.close();
}
