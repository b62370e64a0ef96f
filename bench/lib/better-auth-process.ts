/**
 * Child process: the peer. Better Auth with its generic OAuth plugin pointed at the bench's
 * upstream, on SQLite (better-sqlite3, Better Auth's own Kysely adapter), served by node:http
 * through `toNodeHandler`. Its rate limit is off, as Tether's is for the benchmark; everything else
 * is Better Auth's default (so provider tokens are stored as they come, unencrypted, unless the
 * spec asks for `encryptOAuthTokens`).
 *
 * Several processes may share one SQLite file (the herd): the first one migrates.
 */
import { createServer } from "node:http";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { genericOAuth } from "better-auth/plugins/generic-oauth";
import Database from "better-sqlite3";
import { answerParent } from "./child.ts";
import { type BetterAuthProcessSpec, betterAuthProviderId } from "./peer.ts";

const spec = JSON.parse(process.argv[2] ?? "{}") as BetterAuthProcessSpec;

try {
	const database = new Database(spec.sqliteFile);
	// What a multi-process deployment on one SQLite file needs; the default journal would make
	// concurrent writers fail with SQLITE_BUSY at once.
	database.pragma("journal_mode = WAL");
	database.pragma("busy_timeout = 5000");
	const options = {
		baseURL: spec.baseUrl,
		secret: "bench-secret-bench-secret-bench-secret-0123",
		database,
		rateLimit: { enabled: false },
		trustedOrigins: [spec.baseUrl],
		logger: { level: "error" as const },
		telemetry: { enabled: false },
		account: { encryptOAuthTokens: spec.encryptOAuthTokens ?? false },
		plugins: [
			genericOAuth({
				config: [
					{
						providerId: betterAuthProviderId,
						discoveryUrl: `${spec.upstream.issuer}/.well-known/openid-configuration`,
						clientId: spec.upstream.clientId,
						clientSecret: spec.upstream.clientSecret,
						scopes: ["openid", "email", "profile", "offline_access"],
						pkce: true,
					},
				],
			}),
		],
	};
	if (spec.migrate) {
		const { runMigrations } = await getMigrations(options);
		await runMigrations();
	}
	const auth = betterAuth(options);
	const handler = toNodeHandler(auth);
	const server = createServer((req, res) => {
		void handler(req, res);
	});
	server.keepAliveTimeout = 5_000;
	server.listen(spec.port, "127.0.0.1", () => {
		const address = server.address();
		if (address === null || typeof address === "string") process.exit(1);
		process.send?.({ ready: address.port });
	});
	answerParent(
		() =>
			new Promise<void>((resolve) => {
				server.close(() => {
					database.close();
					resolve();
				});
				server.closeIdleConnections();
			}),
	);
} catch (error) {
	process.send?.({
		error:
			error instanceof Error ? (error.stack ?? error.message) : String(error),
	});
	process.exit(1);
}
