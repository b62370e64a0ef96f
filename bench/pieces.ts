/**
 * The access-token path's pieces, one at a time, in µs per operation (no HTTP, no concurrency):
 * what each request pays besides node:http itself.
 *
 *   npx tsx bench/pieces.ts
 *
 * A Tether child signs one user in (so the database holds a real account, sealed as the server
 * seals it), then this process opens the same SQLite file and times the pieces.
 */
import { openSync, writeSync } from "node:fs";
import { createSecretKeyMatcher } from "../packages/server/src/auth/secret-keys.ts";
import {
	createKeyRing,
	createLogger,
	createStore,
} from "../packages/server/src/index.ts";
import { openAccessToken } from "../packages/server/src/vault/sealed-tokens.ts";
import {
	createBenchDatabase,
	encryptionKey,
	freePort,
	logFileFor,
	machine,
	providerId,
	round3,
	secretKey,
	signIn,
	startBenchUpstream,
	startTetherProcess,
	writeResults,
} from "./lib/common.ts";

/** Median of 7 timed batches, µs per call. */
function time(fn: () => unknown, iterations = 20_000): number {
	for (let i = 0; i < iterations / 4; i++) fn();
	const batches: number[] = [];
	for (let b = 0; b < 7; b++) {
		const start = process.hrtime.bigint();
		for (let i = 0; i < iterations; i++) fn();
		batches.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
	}
	batches.sort((a, b) => a - b);
	return round3(batches[3] as number);
}

const upstream = await startBenchUpstream(3600);
const db = await createBenchDatabase("sqlite");
const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
await upstream.addRedirectUri(
	`${baseUrl}/v1/signin/provider/upstream/callback`,
);
const child = await startTetherProcess({
	port,
	baseUrl,
	database: db.url,
	logLevel: "warn",
	upstream: {
		issuer: upstream.issuer,
		clientId: upstream.clientId,
		clientSecret: upstream.clientSecret,
	},
});
await signIn(baseUrl, "pieces");
await child.stop();
await upstream.close();

const store = createStore(db.url);
await store.migrate();
const ring = createKeyRing([encryptionKey]);
const row = await store.findConnectedAccount(providerId, "pieces");
if (row === null) throw new Error("no account");
const matcher = createSecretKeyMatcher([secretKey]);
const logFile = logFileFor("pieces");
// Tether's logger writing synchronously to a file, as the benchmark's children do (their
// stdout is a file).
const logFd = openSync(logFile, "a");
const fileLogger = createLogger({
	level: "info",
	destination: { write: (line: string) => writeSync(logFd, line) },
});

// A synchronous stand-in for the async store call, to time the SQLite part alone.
const Database = (await import("better-sqlite3")).default;
const raw = new Database(db.url.slice("sqlite:".length), { readonly: true });
const rawGet = raw.prepare(
	"SELECT * FROM connected_accounts WHERE provider_config_id = ? AND provider_account_id = ?",
);

const results: Record<string, number> = {};
const asyncTime = async (fn: () => Promise<unknown>, iterations = 20_000) => {
	for (let i = 0; i < iterations / 4; i++) await fn();
	const batches: number[] = [];
	for (let b = 0; b < 7; b++) {
		const start = process.hrtime.bigint();
		for (let i = 0; i < iterations; i++) await fn();
		batches.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
	}
	batches.sort((a, b) => a - b);
	return round3(batches[3] as number);
};

results["store.findConnectedAccount (SQLite, awaited, row mapped)"] =
	await asyncTime(() => store.findConnectedAccount(providerId, "pieces"));
results["better-sqlite3 prepared get, same query (raw row)"] = time(() =>
	rawGet.get(providerId, "pieces"),
);
results["openAccessToken (AES-256-GCM decrypt, node:crypto)"] = time(() =>
	openAccessToken(ring, row),
);
results["secret-key match (SHA-256 + timingSafeEqual)"] = time(() =>
	matcher(secretKey),
);
results["crypto.randomUUID (request id)"] = time(() => crypto.randomUUID());
results["access-log line (pino, redaction, sync write to a file)"] = time(
	() =>
		fileLogger.info(
			{
				requestId: "5b0a3f7e-4d0c-4a55-9f53-7b1f5a0f2c11",
				method: "POST",
				path: "/v1/connected-accounts/me/upstream/pieces/access-token",
				status: 200,
				ms: 0.42,
			},
			"request",
		),
	5_000,
);
// The same line from pino configured as Tether's logger but without its 63 wildcard redact
// paths (`f`, `*.f`, `*.*.f` for 21 fields), to show what the redaction costs.
const { pino } = await import("pino");
const unredacted = pino(
	{
		level: "info",
		base: { service: "tether" },
		timestamp: pino.stdTimeFunctions.isoTime,
	},
	{ write: (line: string) => writeSync(logFd, line) },
);
results["access-log line, same pino setup without redact paths"] = time(
	() =>
		unredacted.info(
			{
				requestId: "5b0a3f7e-4d0c-4a55-9f53-7b1f5a0f2c11",
				method: "POST",
				path: "/v1/connected-accounts/me/upstream/pieces/access-token",
				status: 200,
				ms: 0.42,
			},
			"request",
		),
	5_000,
);
results["JSON.stringify of the token answer"] = time(() =>
	JSON.stringify({
		accessToken: "x".repeat(43),
		tokenType: "Bearer",
		expiresAt: new Date().toISOString(),
		scopes: row.scopes,
	}),
);

raw.close();
await store.close();
await db.drop();

console.table(
	Object.entries(results).map(([piece, us]) => ({ piece, "µs/op": us })),
);
const file = writeResults("pieces", {
	benchmark: "pieces",
	date: new Date().toISOString(),
	machine: machine(),
	microsecondsPerOperation: results,
});
console.log(`wrote ${file}`);
