import type { FetchFn } from "@tether/oauth";
import {
	authorize,
	createCookieJar,
	type FaultProvider,
	freePort,
	startUpstream,
	type Upstream,
	type UpstreamOptions,
} from "@tether/testkit";
import pg from "pg";
import {
	type ProviderConfig,
	parseConfig,
	type TetherConfig,
} from "../src/config/index.ts";
import {
	defaultRateLimits,
	type RateLimitsConfig,
} from "../src/config/schema.ts";
import { type Listener, listen } from "../src/listen.ts";
import { createLogger } from "../src/logger.ts";
import { createServer, type TetherServer } from "../src/server.ts";
import { createStore, type Store } from "../src/store/index.ts";

/** PostgreSQL for tests, when the environment offers one. */
export const postgresUrl = process.env.TETHER_TEST_DATABASE_URL;
export const databases =
	postgresUrl === undefined
		? (["sqlite"] as const)
		: (["sqlite", "postgres"] as const);
export type Database = "sqlite" | "postgres";
/** Test titles say why a PostgreSQL run is missing, so a skip is never silent. */
export const postgresSkipReason =
	postgresUrl === undefined
		? " (postgres skipped: TETHER_TEST_DATABASE_URL not set)"
		: "";

export const secretKey = `tsk_${"s".repeat(40)}`;
export const appUrl = "http://127.0.0.1:5999/app/";
const encryptionKey = `t1:${Buffer.alloc(32, 9).toString("base64")}`;

/** A throwaway database: a temp SQLite file, or a fresh PostgreSQL schema dropped afterwards. */
export async function openTestStore(database: Database): Promise<{
	url: string;
	store: Store;
	drop(): Promise<void>;
	dump(): Promise<string>;
}> {
	if (database === "sqlite") {
		const { mkdtempSync } = await import("node:fs");
		const { tmpdir } = await import("node:os");
		const { join } = await import("node:path");
		const url = `sqlite:${join(mkdtempSync(join(tmpdir(), "tether-test-")), "tether.db")}`;
		const file = url.slice("sqlite:".length);
		const { readFileSync, existsSync } = await import("node:fs");
		return {
			url,
			store: createStore(url),
			drop: async () => {},
			// The database file and its write-ahead log, as raw bytes.
			dump: async () =>
				[file, `${file}-wal`]
					.filter((f) => existsSync(f))
					.map((f) => readFileSync(f).toString("latin1"))
					.join(""),
		};
	}
	if (postgresUrl === undefined)
		throw new Error("TETHER_TEST_DATABASE_URL is not set");
	const schema = `tether_t_${Math.random().toString(16).slice(2, 10)}`;
	return {
		url: postgresUrl,
		store: createStore(postgresUrl, { schema }),
		async dump() {
			const { execFileSync } = await import("node:child_process");
			return execFileSync(
				"pg_dump",
				["--schema", schema, "--data-only", postgresUrl],
				{
					encoding: "utf8",
					maxBuffer: 256 * 1024 * 1024,
				},
			);
		},
		async drop() {
			const client = new pg.Client({ connectionString: postgresUrl });
			await client.connect();
			await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
			await client.end();
		},
	};
}

export interface TestTether {
	server: TetherServer;
	baseUrl: string;
	upstream: Upstream;
	/** Every log line the server wrote, for secret sweeps. */
	logs: string[];
	/** The provider id the upstream is configured under. */
	provider: string;
	/** The whole database as text (SQLite file bytes, or `pg_dump` of the test schema). */
	dumpDatabase(): Promise<string>;
	close(): Promise<void>;
}

type TestTetherOptions = {
	database?: Database;
	accessTokenTtlSeconds?: number;
	config?: Partial<TetherConfig>;
	providers?: (upstream: Upstream) => ProviderConfig[];
	background?: boolean;
	/** Tether's clock (the upstream keeps real time). */
	now?: () => number;
	/** Tether's provider-facing fetch, e.g. a tampering proxy. */
	fetch?: FetchFn;
	upstream?: Partial<UpstreamOptions>;
	/** Rate limits: the given ones over the defaults (tests lower them), or `false` for none. */
	rateLimits?: Partial<RateLimitsConfig> | false;
};

/**
 * One fully wired Tether on a real port, backed by SQLite or PostgreSQL, with a real oidc-provider
 * upstream configured as provider `upstream` (strict refresh-token rotation).
 */
export async function startTestTether(
	options: TestTetherOptions = {},
): Promise<TestTether> {
	// The port is chosen before the config that names it, and another test process may take it in
	// between: then everything is built again on another port.
	for (let attempt = 1; ; attempt++) {
		try {
			return await startTestTetherOn(await freePort(), options);
		} catch (error) {
			const taken = (error as { code?: string }).code === "EADDRINUSE";
			if (!taken || attempt === 5) throw error;
		}
	}
}

async function startTestTetherOn(
	port: number,
	options: TestTetherOptions,
): Promise<TestTether> {
	const baseUrl = `http://127.0.0.1:${port}`;
	const upstream = await startUpstream({
		redirectUris: [`${baseUrl}/v1/signin/provider/upstream/callback`],
		extraScopes: ["read", "write", "admin"],
		accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
		...options.upstream,
	});
	const db = await openTestStore(options.database ?? "sqlite");
	const providers = options.providers?.(upstream) ?? [
		{
			id: "upstream",
			type: "oidc",
			issuer: upstream.issuer,
			clientId: upstream.clientId,
			clientSecret: upstream.clientSecret,
			scopes: ["openid", "email", "profile", "offline_access"],
		},
	];
	const config: TetherConfig = {
		...parseConfig({
			baseUrl,
			database: db.url,
			encryptionKeys: [encryptionKey],
			secretKeys: [secretKey],
			allowedRedirectUrls: [appUrl],
			allowInsecureProviders: true,
			providers,
		}),
		...(options.rateLimits === undefined
			? {}
			: {
					rateLimits:
						options.rateLimits === false
							? false
							: { ...defaultRateLimits, ...options.rateLimits },
				}),
		...options.config,
	};
	const logs: string[] = [];
	const logger = createLogger({
		level: "debug",
		destination: { write: (line: string) => logs.push(line) },
	});
	const server = await createServer({
		config,
		logger,
		store: db.store,
		background: options.background ?? false,
		...(options.now === undefined ? {} : { now: options.now }),
		...(options.fetch === undefined ? {} : { fetch: options.fetch }),
	});
	let listener: Listener;
	try {
		listener = await listen(server.app, { port, hostname: "127.0.0.1" });
	} catch (error) {
		await server.close();
		await upstream.close();
		await db.drop();
		throw error;
	}
	return {
		server,
		baseUrl,
		upstream,
		logs,
		provider: "upstream",
		dumpDatabase: () => db.dump(),
		async close() {
			await listener.close();
			await server.close();
			await upstream.close();
			await db.drop();
		},
	};
}

/** The real upstream as an `oidc` provider config (id `upstream` unless given). */
export function upstreamProvider(
	upstream: Upstream,
	id = "upstream",
): ProviderConfig {
	return {
		id,
		type: "oidc",
		issuer: upstream.issuer,
		clientId: upstream.clientId,
		clientSecret: upstream.clientSecret,
	};
}

/**
 * The fault-injecting provider as a generic `oauth2` config: explicit endpoints, a 1-second
 * timeout so hangs end quickly, and the `read` scope.
 */
export function faultProvider(
	fault: FaultProvider,
	id: string,
): ProviderConfig {
	return {
		id,
		type: "oauth2",
		clientId: fault.clientId,
		clientSecret: fault.clientSecret,
		authorizationEndpoint: fault.endpoints.authorizationEndpoint,
		tokenEndpoint: fault.endpoints.tokenEndpoint,
		userinfoEndpoint: fault.endpoints.userinfoEndpoint,
		revocationEndpoint: fault.endpoints.revocationEndpoint,
		scopes: ["read"],
		providerTimeoutSeconds: 1,
	};
}

/** A user agent: Tether's cookies kept between requests, redirects followed by hand. */
export function createBrowser(
	tether: Pick<TestTether, "baseUrl" | "provider">,
) {
	const jar = createCookieJar();
	async function get(url: string, init: RequestInit = {}): Promise<Response> {
		const target = new URL(url);
		const cookie = jar.headerFor(target);
		const headers = new Headers(init.headers);
		if (cookie !== undefined) headers.set("cookie", cookie);
		const response = await fetch(target, {
			...init,
			headers,
			redirect: "manual",
		});
		jar.store(response);
		return response;
	}

	/** Runs a flow from a Tether URL that redirects to the provider, through consent, back to the app. */
	async function follow(
		startUrl: string,
		options: { account?: string; grantScopes?: string[] } = {},
	): Promise<URL> {
		const start = await get(startUrl);
		if (start.status !== 302)
			throw new Error(`start answered ${start.status}: ${await start.text()}`);
		const toProvider = start.headers.get("location") ?? "";
		const callback = await authorize(toProvider, {
			...(options.account === undefined ? {} : { account: options.account }),
			...(options.grantScopes === undefined
				? {}
				: { grantScopes: options.grantScopes }),
		});
		const back = await get(callback.toString());
		if (back.status !== 302)
			throw new Error(`callback answered ${back.status}: ${await back.text()}`);
		return new URL(back.headers.get("location") ?? "");
	}

	return {
		get,
		follow,
		/** Signs in as `account` and exchanges the code: a session for the API. */
		async signIn(account: string, query: Record<string, string> = {}) {
			const start = new URL(
				`${tether.baseUrl}/v1/signin/provider/${tether.provider}`,
			);
			start.searchParams.set("redirectTo", appUrl);
			for (const [key, value] of Object.entries(query))
				start.searchParams.set(key, value);
			const landed = await follow(start.toString(), { account });
			const code = landed.searchParams.get("code");
			if (code === null) throw new Error(`no code in ${landed.toString()}`);
			const exchanged = await api(tether, "POST", "/v1/token/exchange", {
				body: { code },
			});
			if (exchanged.status !== 200)
				throw new Error(`exchange answered ${exchanged.status}`);
			return exchanged.body as SessionBody;
		},
		/**
		 * Links as an app does: an intent for the session's user, the provider flow in this browser,
		 * then the landing's one-time `link_code` redeemed with the same session.
		 */
		async link(
			token: string,
			options: {
				account: string;
				scopes?: string[];
				providerAccountId?: string;
				grantScopes?: string[];
			},
		) {
			const intent = await api(tether, "POST", `/v1/link/${tether.provider}`, {
				token,
				body: {
					redirectTo: appUrl,
					...(options.scopes === undefined ? {} : { scopes: options.scopes }),
					...(options.providerAccountId === undefined
						? {}
						: { providerAccountId: options.providerAccountId }),
				},
			});
			if (intent.status !== 200)
				throw new Error(`link intent answered ${intent.status}`);
			const landed = await follow(intent.body.url, {
				account: options.account,
				...(options.grantScopes === undefined
					? {}
					: { grantScopes: options.grantScopes }),
			});
			const completed = await completeLink(tether, landed, token);
			return { landed, ...completed };
		},
	};
}

/** Redeems the `link_code` a link flow landed with, as the app's landing page does. */
export async function completeLink(
	tether: Pick<TestTether, "baseUrl">,
	landed: URL,
	token: string,
	body: Record<string, unknown> = {},
) {
	const code = landed.searchParams.get("link_code");
	if (code === null) throw new Error(`no link_code in ${landed.toString()}`);
	return api(tether, "POST", "/v1/link/complete", {
		token,
		body: { code, ...body },
	});
}

export interface SessionBody {
	accessToken: string;
	refreshToken: string;
	accessTokenExpiresIn: number;
	user: {
		id: string;
		connectedAccounts: {
			provider: string;
			providerAccountId: string;
			scopes: string[];
		}[];
	};
}

/** A JSON call to Tether's API; `token` is a session JWT or a secret key. */
export async function api(
	tether: Pick<TestTether, "baseUrl">,
	method: string,
	path: string,
	options: {
		token?: string;
		body?: unknown;
		headers?: Record<string, string>;
	} = {},
): Promise<{
	status: number; // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back
	body: any;
	headers: Headers;
}> {
	const headers: Record<string, string> = { ...options.headers };
	if (options.token !== undefined)
		headers.authorization = `Bearer ${options.token}`;
	if (options.body !== undefined) headers["content-type"] = "application/json";
	const response = await fetch(`${tether.baseUrl}${path}`, {
		method,
		headers,
		...(options.body === undefined
			? {}
			: { body: JSON.stringify(options.body) }),
	});
	const text = await response.text();
	let body: unknown = text;
	try {
		body = text === "" ? null : JSON.parse(text);
	} catch {
		// Not JSON: the test sees the text.
	}
	return { status: response.status, body, headers: response.headers };
}
