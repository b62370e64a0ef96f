/**
 * Shared pieces of the benchmarks: the upstream provider, child processes running Tether, the
 * headless sign-in, statistics and the results files. Bench-only code: nothing here is imported
 * by the packages.
 */
import { type ChildProcess, fork } from "node:child_process";
import {
	mkdirSync,
	mkdtempSync,
	openSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
	authorize,
	createCookieJar,
	freePort,
	startUpstream,
	type Upstream,
} from "@tether/testkit";

export { freePort };

import pg from "pg";

const here = dirname(fileURLToPath(import.meta.url));
export const benchDir = join(here, "..");
export const resultsDir = join(benchDir, "results");

export const secretKey = `tsk_${"b".repeat(40)}`;
export const appUrl = "http://127.0.0.1:5999/app/";
export const encryptionKey = `b1:${Buffer.alloc(32, 7).toString("base64")}`;
export const providerId = "upstream";

export const sleep = (ms: number) =>
	new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The machine the figures come from. */
export function machine() {
	return {
		nproc: availableParallelism(),
		cpu: cpus()[0]?.model ?? "unknown",
		memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
		node: process.version,
		platform: `${process.platform}-${process.arch}`,
	};
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	if (sorted.length === 0) return Number.NaN;
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1
		? (sorted[mid] as number)
		: ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	if (sorted.length === 0) return Number.NaN;
	const index = Math.min(
		sorted.length - 1,
		Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
	);
	return sorted[index] as number;
}

export const round1 = (value: number) => Math.round(value * 10) / 10;
export const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Writes `bench/results/<name>-<timestamp>.json` and `<name>-latest.json`; returns the first path. */
export function writeResults(name: string, data: unknown): string {
	mkdirSync(resultsDir, { recursive: true });
	const stamp = new Date().toISOString().replace(/[:.]/g, "-");
	const text = `${JSON.stringify(data, null, 2)}\n`;
	const path = join(resultsDir, `${name}-${stamp}.json`);
	writeFileSync(path, text);
	writeFileSync(join(resultsDir, `${name}-latest.json`), text);
	return path;
}

/** The real oidc-provider upstream, in this (the parent) process. */
export function startBenchUpstream(accessTokenTtlSeconds: number) {
	return startUpstream({
		redirectUris: [],
		accessTokenTtlSeconds,
	});
}

export type DatabaseKind = "sqlite" | "postgres";

/** A throwaway database for one or more Tether processes: a temp SQLite file or a fresh schema. */
export interface BenchDatabase {
	kind: DatabaseKind;
	url: string;
	schema?: string;
	drop(): Promise<void>;
}

export function postgresUrl(): string | undefined {
	const url = process.env.TETHER_TEST_DATABASE_URL;
	return url === undefined || url === "" ? undefined : url;
}

export async function createBenchDatabase(
	kind: DatabaseKind,
): Promise<BenchDatabase> {
	if (kind === "sqlite") {
		const dir = mkdtempSync(join(tmpdir(), "tether-bench-"));
		return {
			kind,
			url: `sqlite:${join(dir, "tether.db")}`,
			// A million-account run leaves almost a gigabyte here otherwise.
			drop: async () => rmSync(dir, { recursive: true, force: true }),
		};
	}
	const url = postgresUrl();
	if (url === undefined) throw new Error("TETHER_TEST_DATABASE_URL is not set");
	const schema = `tether_bench_${Math.random().toString(16).slice(2, 10)}`;
	return {
		kind,
		url,
		schema,
		async drop() {
			const client = new pg.Client({ connectionString: url });
			await client.connect();
			await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
			await client.end();
		},
	};
}

/** What `tether-process.ts` reads from its argument. */
export interface TetherProcessSpec {
	port: number;
	/** The public URL in config (several processes behind one URL share it). */
	baseUrl: string;
	database: string;
	schema?: string;
	/** pino level; the lines go to the child's stdout (a file, see `forkChild`). */
	logLevel: string;
	upstream: { issuer: string; clientId: string; clientSecret: string };
	/** A provider config used as is instead of the `oidc` one built from `upstream` (scale bench). */
	provider?: Record<string, unknown>;
	/** Passed to the config as is (default: Tether's). */
	proactiveRefresh?: unknown;
	refreshMarginSeconds?: number;
	/** Passed to the config as is (default: Tether's defaults). */
	rateLimits?: unknown;
	/** Tether's background loops (default on, as in production). */
	background?: boolean;
	/** How many decrypted access tokens a process keeps (default: Tether's; 0 turns it off). */
	accessTokenCacheEntries?: number;
}

export interface ChildHandle {
	child: ChildProcess;
	port: number;
	/** The child's CPU time so far (user + system), in microseconds. */
	cpuMicros(): Promise<number>;
	/** The child's resident set size now and at its peak (Linux /proc), in bytes. */
	rssBytes(): { rss: number; peak: number };
	/** Asks the child to close its server and store, then waits for it to exit. */
	stop(): Promise<void>;
}

/**
 * Forks a bench child (`bench/lib/<entry>`) with the same tsx loader as this process; the child
 * sends `{ ready: port }` once it listens. Its stdout (the log) goes to `logFile`, or nowhere.
 */
export async function forkChild(
	entry: string,
	arg: unknown,
	options: {
		logFile?: string;
		execArgv?: string[];
		env?: NodeJS.ProcessEnv;
	} = {},
): Promise<ChildHandle> {
	const out =
		options.logFile === undefined ? "ignore" : openSync(options.logFile, "a");
	const child = fork(join(here, entry), [JSON.stringify(arg)], {
		stdio: ["ignore", out, "inherit", "ipc"],
		execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
		env: { ...process.env, ...options.env },
	});
	const port = await new Promise<number>((resolve, reject) => {
		const onExit = (code: number | null) =>
			reject(new Error(`${entry} exited with ${code} before it was ready`));
		child.once("exit", onExit);
		child.once("message", (message: { ready?: number; error?: string }) => {
			child.off("exit", onExit);
			if (typeof message.ready === "number") resolve(message.ready);
			else reject(new Error(message.error ?? `${entry}: unexpected message`));
		});
	});
	return {
		child,
		port,
		cpuMicros: () =>
			new Promise<number>((resolve) => {
				const onMessage = (message: { cpu?: number }) => {
					if (typeof message.cpu !== "number") return;
					child.off("message", onMessage);
					resolve(message.cpu);
				};
				child.on("message", onMessage);
				child.send({ cpu: true });
			}),
		rssBytes: () => residentBytes(child.pid),
		stop: () =>
			new Promise<void>((resolve) => {
				if (child.exitCode !== null) return resolve();
				const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
				child.once("exit", () => {
					clearTimeout(timer);
					resolve();
				});
				child.send({ stop: true });
			}),
	};
}

function residentBytes(pid: number | undefined): { rss: number; peak: number } {
	if (pid === undefined) return { rss: 0, peak: 0 };
	try {
		const status = readFileSync(`/proc/${pid}/status`, "utf8");
		const kib = (name: string) =>
			Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
		return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
	} catch {
		return { rss: 0, peak: 0 };
	}
}

/** A temp file for a child's log lines. */
export function logFileFor(name: string): string {
	const dir = mkdtempSync(join(tmpdir(), "tether-bench-log-"));
	return join(dir, `${name}.log`);
}

export async function startTetherProcess(
	spec: TetherProcessSpec,
	options: {
		logFile?: string;
		execArgv?: string[];
		env?: NodeJS.ProcessEnv;
	} = {},
): Promise<ChildHandle> {
	return forkChild("tether-process.ts", spec, options);
}

/**
 * Plays the user's browser once: Tether's sign-in with the upstream as `account`, then the code
 * exchange. Returns the session JWT and Tether's user id.
 */
export async function signIn(
	baseUrl: string,
	account: string,
): Promise<{ accessToken: string; userId: string }> {
	const jar = createCookieJar();
	const get = async (url: string) => {
		const target = new URL(url);
		const headers = new Headers();
		const cookie = jar.headerFor(target);
		if (cookie !== undefined) headers.set("cookie", cookie);
		const response = await fetch(target, { headers, redirect: "manual" });
		jar.store(response);
		await response.body?.cancel();
		return response;
	};
	const start = new URL(`${baseUrl}/v1/signin/provider/${providerId}`);
	start.searchParams.set("redirectTo", appUrl);
	const started = await get(start.toString());
	const toProvider = started.headers.get("location");
	if (started.status !== 302 || toProvider === null)
		throw new Error(`sign-in start answered ${started.status}`);
	const callback = await authorize(toProvider, { account });
	const back = await get(callback.toString());
	const landed = back.headers.get("location");
	if (back.status !== 302 || landed === null)
		throw new Error(`callback answered ${back.status}`);
	const code = new URL(landed).searchParams.get("code");
	if (code === null) throw new Error(`no code in ${landed}`);
	const exchanged = await fetch(`${baseUrl}/v1/token/exchange`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ code }),
	});
	if (exchanged.status !== 200)
		throw new Error(`exchange answered ${exchanged.status}`);
	const body = (await exchanged.json()) as {
		accessToken: string;
		user: { id: string };
	};
	return { accessToken: body.accessToken, userId: body.user.id };
}

/** The token route for one connected account; `user` is `me` (session) or a user id (secret key). */
export function accessTokenPath(user: string, account: string): string {
	return `/v1/connected-accounts/${encodeURIComponent(user)}/${providerId}/${encodeURIComponent(account)}/access-token`;
}

export type { Upstream };
