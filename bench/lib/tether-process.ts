/**
 * Child process: one real Tether (`createServer` + `listen`) from the spec in argv[2]; tells the
 * parent its port over IPC and closes cleanly on `{ stop: true }`.
 *
 * `TETHER_BENCH_SERVER` may name another copy of packages/server/src/index.ts (e.g. a patched copy
 * in a temp directory whose node_modules links to this repository's) to measure a change without
 * touching the working tree.
 */
import { answerParent } from "./child.ts";
import {
	appUrl,
	encryptionKey,
	providerId,
	secretKey,
	type TetherProcessSpec,
} from "./common.ts";

type ServerModule = typeof import("@tether/server");
const { createLogger, createServer, createStore, listen, parseConfig } =
	(await import(
		process.env.TETHER_BENCH_SERVER ?? "@tether/server"
	)) as ServerModule;

const spec = JSON.parse(process.argv[2] ?? "{}") as TetherProcessSpec;

try {
	const config = parseConfig({
		baseUrl: spec.baseUrl,
		database: spec.database,
		encryptionKeys: [encryptionKey],
		secretKeys: [secretKey],
		allowedRedirectUrls: [appUrl],
		allowInsecureProviders: true,
		...(spec.rateLimits === undefined ? {} : { rateLimits: spec.rateLimits }),
		...(spec.refreshMarginSeconds === undefined
			? {}
			: { refreshMarginSeconds: spec.refreshMarginSeconds }),
		...(spec.proactiveRefresh === undefined
			? {}
			: { proactiveRefresh: spec.proactiveRefresh }),
		...(spec.accessTokenCacheEntries === undefined
			? {}
			: { accessTokenCacheEntries: spec.accessTokenCacheEntries }),
		providers: [
			spec.provider ?? {
				id: providerId,
				type: "oidc",
				issuer: spec.upstream.issuer,
				clientId: spec.upstream.clientId,
				clientSecret: spec.upstream.clientSecret,
				scopes: ["openid", "email", "profile", "offline_access"],
			},
		],
	});
	const server = await createServer({
		config,
		logger: createLogger({ level: spec.logLevel }),
		store: createStore(
			spec.database,
			spec.schema === undefined ? {} : { schema: spec.schema },
		),
		background: spec.background ?? true,
	});
	const listener = await listen(server.app, {
		port: spec.port,
		hostname: "127.0.0.1",
	});
	answerParent(async () => {
		await listener.close().catch(() => {});
		await server.close();
	});
	process.send?.({ ready: listener.port });
} catch (error) {
	process.send?.({
		error:
			error instanceof Error ? (error.stack ?? error.message) : String(error),
	});
	process.exit(1);
}
