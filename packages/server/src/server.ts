import { resolve } from "node:path";
import type { FetchFn } from "@tether/oauth";
import {
	type App,
	createApp,
	createAppRateLimiter,
	maxBodyBytes,
} from "./app.ts";
import { createSecretKeyMatcher } from "./auth/secret-keys.ts";
import { createSessions } from "./auth/sessions.ts";
import { loadSigningKeys } from "./auth/signing-keys.ts";
import { ConfigError, type TetherConfig } from "./config/index.ts";
import { createKeyRing, EnvelopeError, type KeyRing } from "./crypto/index.ts";
import {
	createDevelopmentProvider,
	type DevelopmentProvider,
	developmentProviderIssuer,
} from "./dev-provider/index.ts";
import { createAccessTokenFastPath } from "./http/access-token-fast-path.ts";
import { serveAhead } from "./listen.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics } from "./metrics/index.ts";
import { createStore, type Store } from "./store/index.ts";
import { createAuditRecorder } from "./vault/audit.ts";
import type { VaultDeps } from "./vault/deps.ts";
import { createHotTokens } from "./vault/hot-tokens.ts";
import { createProactiveRefresher } from "./vault/proactive-refresher.ts";
import {
	createProviderRegistry,
	type ProviderRegistry,
} from "./vault/providers.ts";
import {
	createRefreshEngine,
	type RefreshEngine,
} from "./vault/refresh-engine.ts";
import { createRevocationWorker } from "./vault/revocation-worker.ts";
import { createUsageTracker } from "./vault/usage.ts";
import { createWebhookWorker } from "./vault/webhooks.ts";

export interface CreateServerInput {
	config: TetherConfig;
	/** Default: JSON lines on stdout at `info`. */
	logger?: Logger;
	/** Default: the store `config.database` names. Migrations run at start-up either way. */
	store?: Store;
	/** The provider-facing fetch; tests inject theirs. Default `globalThis.fetch`. */
	fetch?: FetchFn;
	/** The clock, in epoch milliseconds. Default `Date.now`. */
	now?: () => number;
	/** Background work (revocation retries); default on. Tests that drive it by hand turn it off. */
	background?: boolean;
	/** The working directory; the development provider keeps its files in its `.tether/`. Default `process.cwd()`. */
	cwd?: string;
}

export interface TetherServer {
	app: App;
	store: Store;
	keyRing: KeyRing;
	logger: Logger;
	config: TetherConfig;
	providers: ProviderRegistry;
	refresh: RefreshEngine;
	/**
	 * The built-in OIDC provider when `config.developmentProvider` is on; `listen` serves it on
	 * the same port under its `mountPath` (`/dev-oidc`).
	 */
	developmentProvider?: DevelopmentProvider;
	/** One pass of each background loop, for tests and tools (the loops run on their own). */
	processRevocations(): Promise<number>;
	deliverWebhooks(): Promise<number>;
	/** Starts signing sessions with a new key; sessions signed with older keys stay valid. */
	rotateSigningKey(): Promise<string>;
	refreshExpiring(): Promise<number>;
	/** Writes the buffered audit log now (it is written every second on its own). */
	flushAudit(): Promise<void>;
	/** Stops background work and closes the store; the HTTP listener is the caller's to close first. */
	close(): Promise<void>;
}

/** Wires a Tether instance from its config: store (migrated), keys, providers, vault, routes. */
export async function createServer(
	input: CreateServerInput,
): Promise<TetherServer> {
	const { config } = input;
	const logger = input.logger ?? createLogger();
	const now = input.now ?? Date.now;
	const fetchFn: FetchFn =
		input.fetch ?? ((request) => globalThis.fetch(request));
	const keyRing = createKeyRing(config.encryptionKeys);
	const providers = createProviderRegistry({ config, fetch: fetchFn, now });
	const developmentProvider = config.developmentProvider
		? await startDevelopmentProvider(config, logger, input.cwd)
		: undefined;
	const store = input.store ?? createStore(config.database);
	await store.migrate();

	const signingKeys = await loadSigningKeys({
		store,
		ring: keyRing,
		issuer: config.baseUrl,
		audience: "tether",
		now: now(),
	}).catch(async (error: unknown) => {
		if (
			!(error instanceof EnvelopeError) ||
			error.code !== "ENVELOPE_UNKNOWN_KEY"
		)
			throw error;
		// The session-signing keys are the first stored values every start opens; one under a key
		// the ring lacks means a key left the config before `tether keys rotate` finished.
		if (input.store === undefined) await store.close();
		throw new ConfigError([
			`encryptionKeys: stored values are encrypted under key "${error.keyId ?? "?"}", which is not configured; add it back (after the primary), run \`tether keys rotate\`, and remove it only once \`tether doctor\` says nothing needs it`,
		]);
	});
	const sessions = createSessions({ store, keys: signingKeys });
	const background = input.background ?? true;
	const metrics = createMetrics({
		store,
		providerIds: providers.list().map((p) => p.id),
		now,
		logger,
		auditDropped: () => audit.dropped(),
		hotTokens: () => hotTokens.stats(),
	});
	const audit = createAuditRecorder({
		store,
		now,
		logger,
		observe: metrics.observeAudit,
		prune: background,
	});
	const vault: VaultDeps = {
		config,
		store,
		ring: keyRing,
		providers,
		logger,
		fetch: fetchFn,
		now,
		audit,
	};
	const refresh = createRefreshEngine(vault);
	// Last use is a hint for the proactive refresher's "used within" window: a tenth of that window
	// (at most an hour) is precision enough.
	const usage = createUsageTracker(
		store,
		now,
		Math.min(3_600_000, config.proactiveRefresh.usedWithinSeconds * 100),
	);
	const hotTokens = createHotTokens(store, config.accessTokenCacheEntries);
	const revocations = createRevocationWorker(vault, { background });
	const webhooks = createWebhookWorker(vault, { background });
	const refresher = createProactiveRefresher(
		{ ...vault, refresh },
		{ background },
	);
	const appDeps = {
		...vault,
		sessions,
		signingKeys,
		refresh,
		usage,
		hotTokens,
		matchSecretKey: createSecretKeyMatcher(config.secretKeys),
		metrics,
		// One limiter for the app and its fast path: the same buckets, one budget.
		rateLimiter: createAppRateLimiter({ config, now }),
	};
	const app = createApp(appDeps);
	// The access-token route, served on node:http ahead of Hono by `listen` (same answers).
	serveAhead(app, createAccessTokenFastPath({ ...appDeps, maxBodyBytes }));

	let closed = false;
	return {
		app,
		store,
		keyRing,
		logger,
		config,
		providers,
		refresh,
		...(developmentProvider === undefined ? {} : { developmentProvider }),
		processRevocations: () => revocations.runOnce(),
		deliverWebhooks: () => webhooks.runOnce(),
		rotateSigningKey: async () => (await signingKeys.rotate(now())).kid,
		refreshExpiring: () => refresher.runOnce(),
		flushAudit: () => audit.flush(),
		async close() {
			if (closed) return;
			closed = true;
			await Promise.all([
				revocations.stop(),
				webhooks.stop(),
				refresher.stop(),
			]);
			await usage.stop().catch(() => {});
			await hotTokens.stop();
			await audit.stop().catch(() => {});
			await developmentProvider?.close();
			await store.close();
		},
	};
}

/**
 * The development provider, with the configured provider that points at it as its one client
 * (the development setup's `dev`; in a development config file, any provider whose issuer is
 * `<baseUrl>/dev-oidc`). Without such a provider there is no one to serve, so it stays off.
 */
async function startDevelopmentProvider(
	config: TetherConfig,
	logger: Logger,
	cwd = process.cwd(),
): Promise<DevelopmentProvider | undefined> {
	const issuer = developmentProviderIssuer(config.baseUrl);
	const client = config.providers.find(
		(provider) => provider.issuer?.replace(/\/+$/, "") === issuer,
	);
	if (client === undefined) {
		logger.warn(
			{ issuer },
			`developmentProvider is on but no provider uses it; add { "type": "oidc", "issuer": "${issuer}", "clientId": "…", "clientSecret": "…" } to providers`,
		);
		return undefined;
	}
	return createDevelopmentProvider({
		issuer,
		clientId: client.clientId,
		...(client.clientSecret === undefined
			? {}
			: { clientSecret: client.clientSecret }),
		redirectUri: `${config.baseUrl}/v1/signin/provider/${client.id}/callback`,
		directory: resolve(cwd, ".tether"),
		onError: (error) =>
			logger.error(
				{
					err:
						error instanceof Error
							? { name: error.name, message: error.message, stack: error.stack }
							: String(error),
				},
				"development provider request failed",
			),
	});
}
