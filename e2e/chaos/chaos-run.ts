import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { startUpstream, type Upstream } from "@tether/testkit";
import {
	requestAccessToken,
	type TokenAnswer,
} from "../support/access-token.ts";
import { signIn } from "../support/browser.ts";
import { createTestSchema, type TestSchema } from "../support/postgres.ts";
import { sleep, within } from "../support/tally.ts";
import {
	freePort,
	startTetherProcess,
	type TetherProcess,
	upstreamOidc,
	writeTetherConfig,
} from "../support/tether-process.ts";
import {
	startTokenProxy,
	type TokenFault,
	type TokenProxy,
} from "../support/token-proxy.ts";

/**
 * One chaos run (issue 7, SPEC.md "Access-token rules"): three Tether processes on one PostgreSQL
 * schema, accounts with 2-second access tokens at a strictly rotating upstream (a rotated refresh
 * token presented again revokes the grant), random load while a chaos actor plays provider faults
 * (503s, hangs past `providerTimeoutSeconds`, connection resets), SIGKILLs and restarts Tether
 * processes and, when asked, restarts PostgreSQL. Then every account is asked once for a token.
 *
 * Faults are played by a proxy between Tether and the upstream's token endpoint, before the
 * request is forwarded: the upstream never hears of a faulted request. A fault after the upstream
 * has rotated the refresh token (an answer lost on the way back) cannot be survived by any client
 * of a provider without a reuse grace period; the run counts such lost answers instead
 * (`proxy.lostAnswers`) so a revoked grant can be told apart from a Tether bug.
 *
 * For the same reason a process is SIGKILLed while it holds refresh leases but not while an
 * upstream answer is on its way to it: its new refreshes are held at the proxy (they die with it,
 * unforwarded, as in the herd test's lease-holder case), the ones already forwarded are let finish
 * and written, then the kill lands.
 */

export interface ChaosOptions {
	label: string;
	/** Length of the load phase. */
	durationMs: number;
	accounts: number;
	/** Load workers, each one request at a time with a short random pause. */
	concurrency: number;
	/** Share of refreshes answered by a random fault instead of the upstream. */
	faultRate: number;
	/** SIGKILLs (each followed by a restart of the same process). */
	kills: number;
	/** Short provider outages: every refresh gets the same fault for a few seconds. */
	outages: number;
	/** PostgreSQL restarts; 0 unless `restartPostgres` is given. */
	pgRestarts: number;
	restartPostgres?: () => Promise<void>;
	/** Access-token lifetime at the upstream. Default 2. */
	tokenTtlSeconds?: number;
	providerTimeoutSeconds: number;
	/** The background refresher on each process (issue 4, "Proactive refresh"). */
	proactiveRefresh: boolean;
	databaseUrl: string;
	/** Progress lines (default console.log). */
	log?: (line: string) => void;
	seed?: number;
}

export interface ChaosReport {
	label: string;
	startedAt: string;
	command: string;
	config: {
		accounts: number;
		processes: number;
		concurrency: number;
		durationMs: number;
		tokenTtlSeconds: number;
		refreshMarginSeconds: number;
		providerTimeoutSeconds: number;
		faultRate: number;
		proactiveRefresh: boolean;
		seed: number;
	};
	/** Wall time of the load phase and of the whole run, ms. */
	loadMs: number;
	totalMs: number;
	requests: {
		total: number;
		/** By `<status> <code>`; `200` alone for tokens. */
		byOutcome: Record<string, number>;
		/** Connection errors at a process that was killed while the request was open. */
		connectionErrorsAtKilledProcess: number;
		/** Any other connection error or client-side timeout: a failure. */
		connectionErrorsOther: number;
		/** 200 answers whose token had already expired when it arrived: a failure. */
		expiredTokensServed: number;
		/**
		 * 503 SERVICE_UNAVAILABLE (the database unreachable) for requests that overlapped a
		 * PostgreSQL restart (from its start to 5 s after it ended). The same answer at any other
		 * time counts in `unexpected5xx`.
		 */
		databaseUnavailableDuringPgRestart: number;
		/** Answers with any other 5xx than 503 PROVIDER_UNAVAILABLE: failures. */
		unexpected5xx: number;
		latencyMs: { p50: number; p99: number; max: number };
		latency200Ms: { p50: number; p99: number; max: number };
	};
	provider: {
		refreshRequests: number;
		refreshSuccesses: number;
		invalidGrants: number;
		grantsRevoked: number;
		/** Upstream answers (any grant) that never reached Tether: see the module comment. */
		lostAnswers: number;
	};
	injected: {
		unavailable: number;
		hang: number;
		reset: number;
		outages: number;
		/** Refreshes held at the proxy while their process was about to be killed. */
		heldForKill: number;
	};
	kills: { process: string; atMs: number; leasesHeld: number }[];
	pgRestarts: { atMs: number; ms: number }[];
	final: {
		accountsOk: number;
		accountsFailed: { account: string; status: number; code?: string }[];
		/** The final token worked at the upstream's userinfo endpoint. */
		userinfoOk: number;
		statuses: Record<string, number>;
	};
	/** Log lines of unhandled errors (first few), from every process incarnation. */
	unhandledErrors: string[];
	refusals: { atMs: number; status: number; answer: string }[];
	/** Each chaos action, as `<ms after the run started> <what>`. */
	timeline: string[];
	logCounts: Record<string, number>;
	/** Empty when the run passed; each entry says what broke. */
	failures: string[];
}

const provider = "upstream";
const appUrl = "http://127.0.0.1:5999/app/";
const refreshMarginSeconds = 1;

/** mulberry32: reproducible random choices from a seed. */
function random(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function percentile(sorted: readonly number[], p: number): number {
	if (sorted.length === 0) return 0;
	const index = Math.min(
		sorted.length - 1,
		Math.ceil((p / 100) * sorted.length) - 1,
	);
	return Math.round(sorted[Math.max(0, index)] ?? 0);
}

function summary(values: number[]) {
	const sorted = [...values].sort((a, b) => a - b);
	return {
		p50: percentile(sorted, 50),
		p99: percentile(sorted, 99),
		max: Math.round(sorted.at(-1) ?? 0),
	};
}

/** The local cluster's restart, as an operator does it (`pg_ctlcluster … restart`). */
export async function restartLocalPostgres(): Promise<void> {
	const run = promisify(execFile);
	const command = process.env.CHAOS_PG_RESTART_COMMAND;
	if (command !== undefined) {
		await run("sh", ["-c", command]);
		return;
	}
	const { stdout } = await run("ls", ["/etc/postgresql"]);
	const version = stdout.trim().split("\n")[0] ?? "";
	await run("pg_ctlcluster", [
		"--skip-systemctl-redirect",
		version,
		"main",
		"restart",
	]);
}

interface Slot {
	index: number;
	name: string;
	port: number;
	configPath: string;
	/** The path this process's token requests take at the proxy. */
	proxyPath: string;
	current: TetherProcess | undefined;
	/** Bumped at each kill: a request that saw another incarnation met a killed process. */
	incarnation: number;
	up: boolean;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
	let log = options.log ?? ((line: string) => console.log(line));
	const seed = options.seed ?? Number(process.env.CHAOS_SEED ?? Date.now());
	const rand = random(seed);
	const pick = <T>(items: readonly T[]): T => {
		const item = items[Math.floor(rand() * items.length)];
		if (item === undefined) throw new Error("nothing to pick from");
		return item;
	};
	const tokenTtlSeconds = options.tokenTtlSeconds ?? 2;
	const runStarted = Date.now();
	const secretKey = `tsk_${randomBytes(24).toString("base64url")}`;
	const encryptionKey = `chaos1:${randomBytes(32).toString("base64")}`;
	const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
	const failures: string[] = [];
	const unhandledErrors: string[] = [];
	const logCounts: Record<string, number> = {};
	const countedMessages = [
		"refreshed",
		"refresh failed; account kept",
		"refresh token refused",
		"unhandled error",
		"database unreachable",
		"database unreachable while storing a refresh; retrying",
	];

	const injected = {
		unavailable: 0,
		hang: 0,
		reset: 0,
		outages: 0,
		heldForKill: 0,
	};
	let faultsOn = false;
	let outage: { until: number; fault: TokenFault } | undefined;
	const gatedPaths = new Set<string>();

	function decideFault(request: {
		path: string;
		grantType: string;
	}): TokenFault | undefined {
		if (request.grantType !== "refresh_token") return undefined;
		if (gatedPaths.has(request.path)) {
			injected.heldForKill += 1;
			return { kind: "hang" };
		}
		if (!faultsOn) return undefined;
		let fault: TokenFault | undefined;
		if (outage !== undefined && outage.until > Date.now()) fault = outage.fault;
		else if (rand() < options.faultRate) {
			const roll = rand();
			fault =
				roll < 0.4
					? {
							kind: "unavailable",
							...(rand() < 0.5
								? {}
								: { retryAfterSeconds: 1 + Math.floor(rand() * 2) }),
						}
					: roll < 0.7
						? { kind: "hang" }
						: { kind: "reset" };
		}
		if (fault !== undefined) injected[fault.kind] += 1;
		return fault;
	}

	let upstream: Upstream | undefined;
	let proxy: TokenProxy | undefined;
	let db: TestSchema | undefined;
	const slots: Slot[] = [];
	const accounts: { account: string; userId: string }[] = [];
	const kills: ChaosReport["kills"] = [];
	const pgRestarts: ChaosReport["pgRestarts"] = [];
	const byOutcome: Record<string, number> = {};
	const latencies: number[] = [];
	const latencies200: number[] = [];
	let connectionErrorsAtKilledProcess = 0;
	let connectionErrorsOther = 0;
	let expiredTokensServed = 0;
	let unexpected5xx = 0;
	let databaseUnavailableDuringPgRestart = 0;
	/** PostgreSQL restart windows (epoch ms), open while one is under way. */
	const pgWindows: { from: number; to: number }[] = [];
	const duringPgRestart = (from: number, to: number) =>
		pgWindows.some((w) => from <= w.to + 5000 && to >= w.from);
	const firstOddities: string[] = [];
	let loadMs = 0;
	const final: ChaosReport["final"] = {
		accountsOk: 0,
		accountsFailed: [],
		userinfoOk: 0,
		statuses: {},
	};

	/** A query by the run itself, retried while PostgreSQL may still be coming back. */
	async function dbQuery(text: string, values: unknown[] = []) {
		for (let attempt = 1; ; attempt++) {
			try {
				return await (db as TestSchema).query(text, values);
			} catch (error) {
				if (attempt >= 10) throw error;
				await sleep(500);
			}
		}
	}

	const onLine = (line: string) => {
		const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
		if (msg !== undefined && countedMessages.includes(msg))
			logCounts[msg] = (logCounts[msg] ?? 0) + 1;
		if (msg === "unhandled error" && unhandledErrors.length < 20)
			unhandledErrors.push(line.slice(0, 2000));
	};

	/** Processes that exited without being killed by the run: each one is a failure. */
	const crashes: string[] = [];
	/** Upstream refusals (status ≥ 400) as the proxy saw them, ms after the run started. */
	const refusals: { atMs: number; status: number; answer: string }[] = [];
	/** Every use of each refresh token at the upstream (a short hash of it → uses). */
	const spent = new Map<string, string[]>();
	const short = (token: string) =>
		createHash("sha256").update(token).digest("base64url").slice(0, 8);
	/** When each chaos action began, ms after the run started (for reading refusals against). */
	const timeline: string[] = [];
	let stopping = false;

	async function start(slot: Slot): Promise<void> {
		let lastError: unknown;
		for (let attempt = 1; attempt <= 5; attempt++) {
			try {
				const started = await startTetherProcess({
					name: slot.name,
					configPath: slot.configPath,
					port: slot.port,
					onLine,
				});
				slot.current = started;
				slot.up = true;
				void started.exited.then((how) => {
					if (stopping || slot.current !== started || !slot.up) return;
					// Nobody killed it: a crash. Noted, then the process is started again so the run goes on.
					crashes.push(
						`${slot.name} exited on its own (${how}); last output:\n${started.tail().split("\n").slice(-15).join("\n")}`,
					);
					slot.up = false;
					slot.incarnation += 1;
					void start(slot).catch(() => {});
				});
				return;
			} catch (error) {
				lastError = error;
				await sleep(1000);
			}
		}
		throw lastError;
	}

	try {
		const ports = await Promise.all([freePort(), freePort(), freePort()]);
		const baseUrl = `http://127.0.0.1:${ports[0]}`;
		upstream = await startUpstream({
			redirectUris: [`${baseUrl}/v1/signin/provider/${provider}/callback`],
			accessTokenTtlSeconds: tokenTtlSeconds,
		});
		const theUpstream = upstream;
		cleanups.push({ name: "upstream", run: () => theUpstream.close() });
		proxy = await startTokenProxy(upstream.endpoints.tokenEndpoint, {
			fault: decideFault,
			// Every refusal the upstream sends, with its reason and who got it.
			tap: (exchange) => {
				const atMs = Date.now() - runStarted;
				const sent = new URLSearchParams(exchange.requestBody).get(
					"refresh_token",
				);
				let received: unknown;
				try {
					received = JSON.parse(exchange.answer).refresh_token;
				} catch {}
				if (sent !== null) {
					const use = `${atMs} ${exchange.path.split("/")[1]} ${exchange.status}${typeof received === "string" ? ` -> ${short(received)}` : ""}`;
					const seen = spent.get(short(sent));
					if (seen === undefined) spent.set(short(sent), [use]);
					else seen.push(use);
				}
				if (exchange.status >= 400 && refusals.length < 500)
					refusals.push({
						atMs,
						status: exchange.status,
						answer: `${exchange.answer.slice(0, 120)}${sent === null ? "" : ` token ${short(sent)}: ${(spent.get(short(sent)) ?? []).join(" | ")}`}`,
					});
				return undefined;
			},
		});
		const theProxy = proxy;
		cleanups.push({ name: "token proxy", run: () => theProxy.close() });
		db = await createTestSchema(options.databaseUrl, "tether_chaos");
		const theDb = db;
		cleanups.push({ name: "schema", run: () => theDb.drop() });
		const dir = mkdtempSync(join(tmpdir(), "tether-chaos-"));
		cleanups.push({
			name: "config dir",
			run: async () => rmSync(dir, { recursive: true, force: true }),
		});

		const proxyOrigin = new URL(proxy.url).origin;
		ports.forEach((port, index) => {
			const name = `tether-${index + 1}`;
			const proxyPath = `/${name}/token`;
			const configPath = join(dir, `${name}.json`);
			// One config but for the token endpoint: each process reaches the upstream through its own
			// path at the proxy, so the proxy knows whose refreshes are in flight.
			writeTetherConfig(configPath, {
				baseUrl,
				database: theDb.url,
				encryptionKeys: [encryptionKey],
				secretKeys: [secretKey],
				allowedRedirectUrls: [appUrl],
				refreshMarginSeconds,
				providerTimeoutSeconds: options.providerTimeoutSeconds,
				rateLimits: false,
				proactiveRefresh: options.proactiveRefresh
					? {
							enabled: true,
							intervalSeconds: 5,
							lookaheadSeconds: 1,
							usedWithinSeconds: 60,
							batchSize: 20,
						}
					: { enabled: false },
				providers: [
					upstreamOidc(provider, theUpstream, {
						tokenEndpoint: `${proxyOrigin}${proxyPath}`,
					}),
				],
			});
			slots.push({
				index,
				name,
				port,
				configPath,
				proxyPath,
				current: undefined,
				incarnation: 0,
				up: false,
			});
		});
		cleanups.push({
			name: "tether processes",
			run: () =>
				Promise.all(slots.map((slot) => slot.current?.kill("SIGKILL"))),
		});
		const starts = await Promise.allSettled(slots.map((slot) => start(slot)));
		for (const started of starts)
			if (started.status === "rejected") throw started.reason;
		log(`chaos ${options.label}: 3 processes up (seed ${seed})`);
		const logWas = log;
		log = (line: string) => {
			timeline.push(`${Date.now() - runStarted} ${line}`);
			logWas(line);
		};

		// Accounts sign in through the process the config's baseUrl names, a few at a time.
		const names = Array.from(
			{ length: options.accounts },
			(_, i) => `chaos-${String(i + 1).padStart(3, "0")}`,
		);
		const signInQueue = [...names];
		await Promise.all(
			Array.from({ length: 8 }, async () => {
				for (;;) {
					const account = signInQueue.shift();
					if (account === undefined) return;
					const { userId } = await signIn({
						tetherUrl: baseUrl,
						provider,
						account,
						redirectTo: appUrl,
					});
					accounts.push({ account, userId });
				}
			}),
		);
		log(
			`chaos ${options.label}: ${accounts.length} accounts signed in (${Date.now() - runStarted} ms)`,
		);

		const ask = async (
			slot: Slot,
			target: { account: string; userId: string },
		): Promise<TokenAnswer & { incarnationChanged: boolean }> => {
			const process = slot.current;
			const incarnation = slot.incarnation;
			const started = performance.now();
			if (process === undefined) throw new Error(`${slot.name} never started`);
			try {
				const answer = await requestAccessToken({
					process,
					secretKey,
					userId: target.userId,
					provider,
					providerAccountId: target.account,
					signal: AbortSignal.timeout(60_000),
				});
				return { ...answer, incarnationChanged: false };
			} catch (error) {
				return {
					process: slot.name,
					status: 0,
					accessToken: undefined,
					expiresAt: undefined,
					code:
						error instanceof Error
							? error.cause instanceof Error
								? error.cause.message
								: error.name
							: String(error),
					ms: performance.now() - started,
					incarnationChanged: slot.incarnation !== incarnation || !slot.up,
				};
			}
		};

		// ---- load and chaos ----
		faultsOn = true;
		let loading = true;
		const loadStarted = Date.now();
		const workers = Array.from({ length: options.concurrency }, async () => {
			while (loading) {
				const live = slots.filter((slot) => slot.up);
				if (live.length === 0) {
					await sleep(50);
					continue;
				}
				const slot = pick(live);
				const target = pick(accounts);
				const answer = await ask(slot, target);
				const at = Date.now();
				if (answer.status === 0) {
					if (answer.incarnationChanged) connectionErrorsAtKilledProcess += 1;
					else {
						connectionErrorsOther += 1;
						if (firstOddities.length < 20)
							firstOddities.push(
								`connection error at live ${slot.name}: ${answer.code}`,
							);
					}
				} else {
					const key =
						answer.status === 200
							? "200"
							: `${answer.status} ${answer.code ?? "?"}`;
					byOutcome[key] = (byOutcome[key] ?? 0) + 1;
					latencies.push(answer.ms);
					if (answer.status === 200) {
						latencies200.push(answer.ms);
						if (answer.expiresAt === undefined || answer.expiresAt <= at) {
							expiredTokensServed += 1;
							if (firstOddities.length < 20)
								firstOddities.push(
									`expired token served by ${slot.name} for ${target.account}`,
								);
						}
					} else if (
						answer.status === 503 &&
						answer.code === "SERVICE_UNAVAILABLE" &&
						duringPgRestart(at - answer.ms, at)
					) {
						databaseUnavailableDuringPgRestart += 1;
					} else if (
						answer.status >= 500 &&
						!(answer.status === 503 && answer.code === "PROVIDER_UNAVAILABLE")
					) {
						unexpected5xx += 1;
						if (firstOddities.length < 20)
							firstOddities.push(
								`${answer.status} ${answer.code} from ${slot.name} for ${target.account} at +${at - loadStarted} ms`,
							);
					}
				}
				await sleep(rand() * 20);
			}
		});

		const elapsed = () => Date.now() - loadStarted;
		type Action = { at: number; kind: "kill" | "pg" | "outage" };
		const actions: Action[] = [];
		const spread = (n: number, kind: Action["kind"], offset: number) => {
			for (let i = 0; i < n; i++) {
				const slotMs = options.durationMs / n;
				actions.push({
					kind,
					at: Math.round(slotMs * i + slotMs * (offset + 0.2 * (rand() - 0.5))),
				});
			}
		};
		spread(options.kills, "kill", 0.35);
		spread(
			options.restartPostgres === undefined ? 0 : options.pgRestarts,
			"pg",
			0.7,
		);
		spread(options.outages, "outage", 0.55);
		actions.sort((a, b) => a.at - b.at);

		const killOne = async () => {
			const slot = pick(slots.filter((s) => s.up));
			const victim = slot.current;
			if (victim === undefined) return;
			gatedPaths.add(slot.proxyPath);
			const theProxy = proxy as TokenProxy;
			const drained = Date.now() + 15_000;
			while (theProxy.inFlight(slot.proxyPath) > 0 && Date.now() < drained)
				await sleep(20);
			// Let the last forwarded answers be written before the kill.
			await sleep(500);
			const rows = await dbQuery(
				"SELECT count(*)::int AS n FROM {schema}.connected_accounts WHERE lease_owner IS NOT NULL AND lease_expires_at > $1",
				[Date.now()],
			).catch(() => [{ n: -1 }]);
			slot.up = false;
			slot.incarnation += 1;
			const atMs = elapsed();
			await victim.kill("SIGKILL");
			gatedPaths.delete(slot.proxyPath);
			kills.push({
				process: slot.name,
				atMs,
				leasesHeld: Number(rows[0]?.n ?? -1),
			});
			log(
				`chaos ${options.label}: +${atMs} ms SIGKILL ${slot.name} (${rows[0]?.n} leases held across processes)`,
			);
			await sleep(1000 + rand() * 2000);
			await start(slot);
			log(`chaos ${options.label}: +${elapsed()} ms ${slot.name} restarted`);
		};

		const restartPg = async () => {
			const atMs = elapsed();
			const began = Date.now();
			const window = { from: began, to: Number.POSITIVE_INFINITY };
			pgWindows.push(window);
			await (options.restartPostgres as () => Promise<void>)();
			window.to = Date.now();
			const ms = Date.now() - began;
			pgRestarts.push({ atMs, ms });
			log(
				`chaos ${options.label}: +${atMs} ms PostgreSQL restarted (${ms} ms)`,
			);
		};

		const startOutage = async () => {
			const fault: TokenFault =
				rand() < 0.5
					? { kind: "unavailable", retryAfterSeconds: 2 }
					: { kind: "hang" };
			const ms = 3000 + Math.round(rand() * 2000);
			outage = { until: Date.now() + ms, fault };
			injected.outages += 1;
			log(
				`chaos ${options.label}: +${elapsed()} ms provider outage (${fault.kind}, ${ms} ms)`,
			);
		};

		for (const action of actions) {
			await sleep(action.at - elapsed());
			if (elapsed() > options.durationMs) break;
			if (action.kind === "kill") await killOne();
			else if (action.kind === "pg") await restartPg();
			else await startOutage();
		}
		await sleep(options.durationMs - elapsed());
		loading = false;
		faultsOn = false;
		outage = undefined;
		await within(
			Promise.all(workers),
			120_000,
			"load workers did not stop within 2 minutes",
		);
		loadMs = Date.now() - loadStarted;
		log(
			`chaos ${options.label}: load stopped after ${loadMs} ms; waiting out leases and backoffs`,
		);

		// ---- the verdict: every account, once ----
		for (const slot of slots) if (!slot.up) await start(slot);
		// A lease outlives providerTimeoutSeconds by 5 s; a provider failure's backoff is at most
		// 5 s plus 1 s of jitter (no Retry-After) or 2 s plus jitter (the longest injected).
		await sleep(
			Math.max(options.providerTimeoutSeconds * 1000 + 5000, 6000) + 1500,
		);
		const finalQueue = [...accounts];
		await Promise.all(
			Array.from({ length: 10 }, async () => {
				for (;;) {
					const target = finalQueue.shift();
					if (target === undefined) return;
					const answer = await ask(pick(slots), target);
					if (answer.status !== 200 || answer.accessToken === undefined) {
						final.accountsFailed.push({
							account: target.account,
							status: answer.status,
							...(answer.code === undefined ? {} : { code: answer.code }),
						});
						continue;
					}
					final.accountsOk += 1;
					const me = await fetch(
						(upstream as Upstream).endpoints.userinfoEndpoint,
						{ headers: { authorization: `Bearer ${answer.accessToken}` } },
					);
					await me.arrayBuffer();
					if (me.status === 200) final.userinfoOk += 1;
				}
			}),
		);
		for (const row of await dbQuery(
			"SELECT status, count(*)::int AS n FROM {schema}.connected_accounts GROUP BY status",
		))
			final.statuses[String(row.status)] = Number(row.n);
	} catch (error) {
		// The report is still written: what happened up to here is the evidence.
		failures.push(
			`run aborted: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
		);
	} finally {
		faultsOn = false;
		stopping = true;
		for (const cleanup of cleanups.reverse()) {
			try {
				await cleanup.run();
			} catch (error) {
				failures.push(
					`cleanup ${cleanup.name}: ${error instanceof Error ? error.message : String(error)}`,
				);
			}
		}
	}

	if (upstream === undefined || proxy === undefined)
		throw new Error(`chaos run could not start:\n${failures.join("\n")}`);
	const counters = upstream.counters;
	const theProxy = proxy;
	const report: ChaosReport = {
		label: options.label,
		startedAt: new Date(runStarted).toISOString(),
		command: process.env.npm_lifecycle_event
			? `npm run ${process.env.npm_lifecycle_event}`
			: process.argv.slice(1).join(" "),
		config: {
			accounts: options.accounts,
			processes: 3,
			concurrency: options.concurrency,
			durationMs: options.durationMs,
			tokenTtlSeconds,
			refreshMarginSeconds,
			providerTimeoutSeconds: options.providerTimeoutSeconds,
			faultRate: options.faultRate,
			proactiveRefresh: options.proactiveRefresh,
			seed,
		},
		loadMs,
		totalMs: Date.now() - runStarted,
		requests: {
			total:
				latencies.length +
				connectionErrorsAtKilledProcess +
				connectionErrorsOther,
			byOutcome,
			connectionErrorsAtKilledProcess,
			connectionErrorsOther,
			expiredTokensServed,
			databaseUnavailableDuringPgRestart,
			unexpected5xx,
			latencyMs: summary(latencies),
			latency200Ms: summary(latencies200),
		},
		provider: {
			refreshRequests: counters.tokenRequests.refresh_token,
			refreshSuccesses: counters.refreshSuccesses,
			invalidGrants: counters.invalidGrants,
			grantsRevoked: counters.grantsRevoked,
			lostAnswers: theProxy.lostAnswers,
		},
		injected,
		kills,
		pgRestarts,
		final,
		unhandledErrors,
		refusals,
		timeline,
		logCounts,
		failures,
	};

	// ---- judged here, so the report carries its own verdict ----
	const active = final.statuses.active ?? 0;
	if (final.accountsFailed.length > 0)
		failures.push(
			`${final.accountsFailed.length} accounts gave no token at the end: ${JSON.stringify(final.accountsFailed.slice(0, 10))}`,
		);
	if (final.userinfoOk !== options.accounts)
		failures.push(
			`${options.accounts - final.userinfoOk} final tokens refused by the upstream's userinfo`,
		);
	if (counters.grantsRevoked !== 0 || counters.invalidGrants !== 0)
		failures.push(
			`grants revoked at the upstream: ${counters.grantsRevoked}, invalid_grant answers: ${counters.invalidGrants} (upstream answers lost on the way back: ${theProxy.lostAnswers})`,
		);
	if (active !== options.accounts)
		failures.push(
			`account statuses at the end: ${JSON.stringify(final.statuses)}`,
		);
	if (unexpected5xx > 0)
		failures.push(
			`${unexpected5xx} answers with a 5xx other than 503 PROVIDER_UNAVAILABLE`,
		);
	if (connectionErrorsOther > 0)
		failures.push(
			`${connectionErrorsOther} connection errors at live processes`,
		);
	if (expiredTokensServed > 0)
		failures.push(`${expiredTokensServed} expired tokens served`);
	failures.push(...crashes);
	if (firstOddities.length > 0)
		failures.push(...firstOddities.map((o) => `  ${o}`));
	return report;
}

/** The summary table, as printed and as kept beside the JSON. */
export function formatReport(report: ChaosReport): string {
	const rows: [string, string][] = [];
	const add = (label: string, value: unknown) =>
		rows.push([
			label,
			typeof value === "string" ? value : JSON.stringify(value),
		]);
	add(
		"run",
		`${report.label}, seed ${report.config.seed}, started ${report.startedAt}`,
	);
	add(
		"setup",
		`${report.config.processes} processes, ${report.config.accounts} accounts, ${report.config.tokenTtlSeconds}-s tokens, margin ${report.config.refreshMarginSeconds} s, providerTimeout ${report.config.providerTimeoutSeconds} s, ${report.config.concurrency} workers, fault rate ${report.config.faultRate}, proactive refresh ${report.config.proactiveRefresh ? "on" : "off"}`,
	);
	add(
		"load phase",
		`${(report.loadMs / 1000).toFixed(1)} s (whole run ${(report.totalMs / 1000).toFixed(1)} s)`,
	);
	add("requests", String(report.requests.total));
	for (const [outcome, n] of Object.entries(report.requests.byOutcome).sort(
		(a, b) => b[1] - a[1],
	))
		add(`  ${outcome}`, String(n));
	add(
		"  conn. errors, killed process",
		String(report.requests.connectionErrorsAtKilledProcess),
	);
	add(
		"  conn. errors, live process",
		String(report.requests.connectionErrorsOther),
	);
	add(
		"  503 SERVICE_UNAVAILABLE during a PG restart",
		String(report.requests.databaseUnavailableDuringPgRestart),
	);
	add(
		"  other 5xx (not 503 PROVIDER_UNAVAILABLE)",
		String(report.requests.unexpected5xx),
	);
	add("  expired tokens served", String(report.requests.expiredTokensServed));
	add(
		"latency all answers p50/p99/max",
		`${report.requests.latencyMs.p50} / ${report.requests.latencyMs.p99} / ${report.requests.latencyMs.max} ms`,
	);
	add(
		"latency 200s p50/p99/max",
		`${report.requests.latency200Ms.p50} / ${report.requests.latency200Ms.p99} / ${report.requests.latency200Ms.max} ms`,
	);
	add(
		"refreshes at the provider",
		`${report.provider.refreshRequests} requests, ${report.provider.refreshSuccesses} succeeded`,
	);
	add(
		"grants revoked / invalid_grant",
		`${report.provider.grantsRevoked} / ${report.provider.invalidGrants}`,
	);
	add("upstream answers lost in transit", String(report.provider.lostAnswers));
	add(
		"injected faults",
		`${report.injected.unavailable} × 503, ${report.injected.hang} hangs, ${report.injected.reset} resets, ${report.injected.outages} outages (3-5 s)`,
	);
	add("refreshes held for a kill", String(report.injected.heldForKill));
	add(
		"SIGKILLs",
		`${report.kills.length}: ${report.kills.map((k) => `${k.process} at ${(k.atMs / 1000).toFixed(0)} s`).join(", ")}`,
	);
	add(
		"PostgreSQL restarts",
		report.pgRestarts.length === 0
			? "0"
			: `${report.pgRestarts.length}: ${report.pgRestarts.map((r) => `at ${(r.atMs / 1000).toFixed(0)} s (${(r.ms / 1000).toFixed(1)} s)`).join(", ")}`,
	);
	add(
		"final: accounts with a token",
		`${report.final.accountsOk}/${report.config.accounts} (userinfo ok ${report.final.userinfoOk})`,
	);
	add("final: account statuses", report.final.statuses);
	add("log lines", report.logCounts);
	add("verdict", report.failures.length === 0 ? "PASS" : "FAIL");
	const width = Math.max(...rows.map(([label]) => label.length));
	return rows
		.map(([label, value]) => `${label.padEnd(width)}  ${value}`)
		.join("\n");
}

/** Writes `<label>-<timestamp>.json` and `.txt` under e2e/chaos/results/; returns the JSON path. */
export function saveReport(report: ChaosReport): string {
	const dir = resolve(import.meta.dirname, "results");
	mkdirSync(dir, { recursive: true });
	const stamp = report.startedAt.replaceAll(":", "-").replace(/\..*$/, "");
	const path = join(dir, `${report.label}-${stamp}.json`);
	writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
	writeFileSync(path.replace(/\.json$/, ".txt"), `${formatReport(report)}\n`);
	return path;
}
