import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	startUpstream,
	type Upstream,
	type UpstreamOptions,
} from "@tether/testkit";
import { afterAll, beforeAll } from "vitest";
import {
	createStore,
	type Store,
} from "../../../packages/server/src/store/index.ts";
import { openTestStore } from "../../../packages/server/test/harness.ts";
import { createTestSchema, postgresUrl } from "../../support/postgres.ts";
import {
	freePort,
	startTetherProcess,
	type TetherProcess,
	upstreamOidc,
	writeTetherConfig,
} from "../../support/tether-process.ts";
import {
	startTokenProxy,
	type TokenExchange,
	type TokenProxy,
} from "../../support/token-proxy.ts";
import {
	createLedger,
	findLeaks,
	type Haystacks,
	type Ledger,
	tapFetch,
} from "./ledger.ts";

/** The app's allowed redirect targets: one with a trailing slash, one without (a path boundary). */
export const appUrl = "http://127.0.0.1:5999/app/";
export const portalUrl = "http://127.0.0.1:5998/portal";

/** One real upstream (oidc-provider) as Tether sees it, behind a tapping token proxy. */
export interface SecurityUpstream {
	/** The provider config id in Tether. */
	id: string;
	upstream: Upstream;
	proxy: TokenProxy;
	/** Token-endpoint round trips, oldest first. */
	readonly exchanges: readonly TokenExchange[];
	/**
	 * Replaces the upstream's answers to authorization-code grants until set back to undefined:
	 * a man in the middle on the token endpoint.
	 */
	tamper: ((answer: Record<string, unknown>) => unknown) | undefined;
}

export interface SecurityTether {
	/** Where Tether listens, and its configured `baseUrl`. */
	baseUrl: string;
	port: number;
	/** The main provider's id (for the harness browser's `signIn`). */
	provider: string;
	upstreams: Record<string, SecurityUpstream>;
	/** The main provider's upstream. */
	upstream: Upstream;
	process: TetherProcess;
	secretKey: string;
	adminSecret: string;
	/** Every line the process wrote. */
	logs: string[];
	ledger: Ledger;
	/** A read handle on Tether's database, for checks the API cannot make. */
	store: Store;
	dumpDatabase(): Promise<string>;
	/** Where secrets must never be: every log line, error answer, the metrics and the database. */
	haystacks(): Promise<Haystacks>;
	/** Every secret the run produced, looked for in logs, error answers, metrics and the database. */
	findLeaks(): Promise<string[]>;
	close(): Promise<void>;
}

export interface SecurityTetherOptions {
	name: string;
	/** Provider config ids, each at its own upstream; the first is the main one. Default `["upstream"]`. */
	providers?: string[];
	upstream?: Partial<UpstreamOptions>;
	/** Config fields over the defaults (rate limits off, proactive refresh off). */
	config?: Record<string, unknown>;
	/**
	 * `sqlite` even when PostgreSQL is offered: for files whose subject lives in process memory
	 * (rate-limit buckets), where another database adds only connections.
	 */
	database?: "sqlite";
}

/**
 * A production-mode Tether as a real process (`tether start`, as an operator runs it) on SQLite, or
 * on a throwaway PostgreSQL schema when TETHER_TEST_DATABASE_URL is set, with real oidc-provider
 * upstreams. Every secret the test's traffic and the upstreams' token endpoints carry goes into a
 * ledger, and every log line is kept, for the leak sweep.
 */
export async function startSecurityTether(
	options: SecurityTetherOptions,
): Promise<SecurityTether> {
	const cleanups: (() => Promise<unknown>)[] = [];
	const cleanup = async () => {
		for (const run of cleanups.reverse()) await run().catch(() => {});
	};
	try {
		const ledger = createLedger();
		const port = await freePort();
		const baseUrl = `http://127.0.0.1:${port}`;
		const secretKey = `tsk_${randomBytes(24).toString("base64url")}`;
		const adminSecret = `adm_${randomBytes(24).toString("base64url")}`;
		const keyBytes = randomBytes(32);
		const encryptionKey = `sec1:${keyBytes.toString("base64")}`;
		ledger.add("secret key", secretKey);
		ledger.add("admin secret", adminSecret);
		ledger.add("encryption key", keyBytes.toString("base64"));

		const upstreams: Record<string, SecurityUpstream> = {};
		for (const id of options.providers ?? ["upstream"]) {
			const upstream = await startUpstream({
				redirectUris: [`${baseUrl}/v1/signin/provider/${id}/callback`],
				extraScopes: ["read", "write"],
				...options.upstream,
			});
			cleanups.push(() => upstream.close());
			ledger.add("client secret", upstream.clientSecret);
			const exchanges: TokenExchange[] = [];
			const entry: SecurityUpstream = {
				id,
				upstream,
				exchanges,
				tamper: undefined,
				proxy: await startTokenProxy(upstream.endpoints.tokenEndpoint, {
					tap: (exchange) => {
						exchanges.push(exchange);
						ledger.addTokenExchange(exchange);
						const grant = new URLSearchParams(exchange.requestBody).get(
							"grant_type",
						);
						if (entry.tamper === undefined || grant !== "authorization_code")
							return undefined;
						return JSON.stringify(entry.tamper(JSON.parse(exchange.answer)));
					},
				}),
			};
			cleanups.push(() => entry.proxy.close());
			upstreams[id] = entry;
		}

		const dir = mkdtempSync(join(tmpdir(), "tether-security-"));
		cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
		let database: { url: string; store: Store; dump(): Promise<string> };
		const pgUrl = options.database === "sqlite" ? undefined : postgresUrl;
		if (pgUrl === undefined) {
			database = await openTestStore("sqlite");
		} else {
			const schema = await createTestSchema(pgUrl, "tether_sec");
			cleanups.push(() => schema.drop());
			database = {
				url: schema.url,
				store: createStore(schema.url),
				dump: async () =>
					execFileSync(
						"pg_dump",
						["--schema", schema.schema, "--data-only", pgUrl],
						{ encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
					),
			};
		}
		cleanups.push(() => database.store.close());

		const configPath = writeTetherConfig(join(dir, "tether.json"), {
			baseUrl,
			database: database.url,
			encryptionKeys: [encryptionKey],
			secretKeys: [secretKey],
			adminSecret,
			allowedRedirectUrls: [appUrl, portalUrl],
			proactiveRefresh: { enabled: false },
			rateLimits: false,
			providers: Object.values(upstreams).map(({ id, upstream, proxy }) =>
				upstreamOidc(id, upstream, { tokenEndpoint: proxy.url }),
			),
			...options.config,
		});

		const logs: string[] = [];
		const process = await startTetherProcess({
			name: options.name,
			configPath,
			port,
			// Debug: the sweep should see everything Tether could ever write.
			env: { LOG_LEVEL: "debug" },
			onLine: (line) => logs.push(line),
		});
		cleanups.push(() => process.kill("SIGTERM"));
		const untap = tapFetch(ledger, baseUrl);
		cleanups.push(async () => untap());

		const haystacks = async (): Promise<Haystacks> => {
			// Logs arrive through a pipe, after the answers: wait for this request's own access-log
			// line, and every line written before it is in too.
			const marker = `drain-${randomBytes(8).toString("hex")}`;
			const metrics = await fetch(`${baseUrl}/metrics`, {
				headers: {
					authorization: `Bearer ${adminSecret}`,
					"x-request-id": marker,
				},
			});
			if (metrics.status !== 200)
				throw new Error(`/metrics answered ${metrics.status}`);
			const deadline = Date.now() + 10_000;
			while (!logs.some((line) => line.includes(marker))) {
				if (Date.now() > deadline)
					throw new Error("the process's logs did not catch up");
				await new Promise((done) => setTimeout(done, 10));
			}
			return {
				logs: logs.join("\n"),
				errorAnswers: ledger.errorAnswers.join("\n"),
				metrics: await metrics.text(),
				database: await database.dump(),
			};
		};
		const main = Object.values(upstreams)[0];
		if (main === undefined) throw new Error("no provider");
		return {
			baseUrl,
			port,
			provider: main.id,
			upstreams,
			upstream: main.upstream,
			process,
			secretKey,
			adminSecret,
			logs,
			ledger,
			store: database.store,
			dumpDatabase: () => database.dump(),
			haystacks,
			findLeaks: async () =>
				findLeaks(ledger, await haystacks(), {
					rawDatabaseBytes: [{ kind: "encryption key", bytes: keyBytes }],
				}),
			close: cleanup,
		};
	} catch (error) {
		await cleanup();
		throw error;
	}
}

/**
 * The Tether of one test file: started before its tests, closed after them. Returns a getter, as
 * the instance exists only once `beforeAll` has run.
 */
export function useSecurityTether(
	options: SecurityTetherOptions,
): () => SecurityTether {
	let tether: SecurityTether | undefined;
	// Generous: on a busy machine (two cores shared with other suites) a process start, its
	// migrations and the upstream's key generation can take far longer than here alone.
	beforeAll(async () => {
		tether = await startSecurityTether(options);
	}, 120_000);
	afterAll(async () => {
		await tether?.close();
	}, 60_000);
	return () => {
		if (tether === undefined) throw new Error(`${options.name} did not start`);
		return tether;
	};
}
