/**
 * Bulk seeding of connected accounts for the scale benchmark: rows written straight into the
 * tables, each one sealed as Tether seals it (AES-256-GCM under the bench key, with the row id and
 * column as AAD, so every row gets its own ciphertexts: a shared one would fail to open anywhere
 * else). One user per account. Bench-only code.
 */
import { createHash, randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { encrypt } from "../../packages/server/src/crypto/index.ts";
import { createKeyRing, createStore } from "../../packages/server/src/index.ts";
import { type BenchDatabase, encryptionKey } from "./common.ts";

/** The scopes every seeded account holds (what the bench's provider grants). */
export const seededScopes = ["openid", "email", "profile", "offline_access"];

/** Seeded accounts are `acct-<i>` at `provider`; their users' ids are kept to build request paths. */
export const seededAccountId = (i: number) => `acct-${i}`;

export interface SeedResult {
	userIds: string[];
	seconds: number;
	/** Rows per second, users and accounts counted once per account. */
	rowsPerSecond: number;
}

interface Row {
	userId: string;
	accountId: string;
	providerAccountId: string;
	email: string;
	accessTokenEnc: string;
	refreshTokenEnc: string;
	refreshTokenHashes: string;
	expiresAt: number;
}

const scopesJson = JSON.stringify(seededScopes);

/** `usr_…`/`ca_…` ids the way Tether makes them (12 random bytes), drawn from one buffer. */
function idsFrom(pool: Buffer, offset: number, prefix: string): string {
	return `${prefix}_${pool.subarray(offset, offset + 12).toString("base64url")}`;
}

function makeRows(from: number, count: number, now: number): Row[] {
	const ring = createKeyRing([encryptionKey]);
	// Per row: 12 + 12 id bytes, 32 + 32 token bytes, 4 for the expiry's spread.
	const perRow = 92;
	const pool = randomBytes(perRow * count);
	const rows: Row[] = new Array(count);
	for (let k = 0; k < count; k++) {
		const at = k * perRow;
		const i = from + k;
		const accountId = idsFrom(pool, at + 12, "ca");
		const accessToken = pool.subarray(at + 24, at + 56).toString("base64url");
		const refreshToken = pool.subarray(at + 56, at + 88).toString("base64url");
		const table = "connected_accounts";
		rows[k] = {
			userId: idsFrom(pool, at, "usr"),
			accountId,
			providerAccountId: `${seededAccountId(i)}`,
			email: `${seededAccountId(i)}@scale.test`,
			accessTokenEnc: encrypt(ring, accessToken, {
				table,
				rowId: accountId,
				field: "access_token_enc",
			}),
			refreshTokenEnc: encrypt(ring, refreshToken, {
				table,
				rowId: accountId,
				field: "refresh_token_enc",
			}),
			refreshTokenHashes: JSON.stringify([
				createHash("sha256").update(refreshToken).digest("base64url"),
			]),
			// Fresh for 2 to 3 hours: the access-token path serves them from storage, and the
			// proactive refresher (margin 5 min + lookahead 2 min) leaves them alone.
			expiresAt: now + 2 * 3600_000 + (pool.readUInt32BE(at + 88) % 3600_000),
		};
	}
	return rows;
}

/** Creates the schema (Tether's own migrations) in a fresh bench database. */
export async function migrate(db: BenchDatabase): Promise<void> {
	const store = createStore(
		db.url,
		db.schema === undefined ? {} : { schema: db.schema },
	);
	await store.migrate();
	await store.close();
}

/**
 * Seeds `count` accounts (`acct-0` … `acct-<count-1>`) at `provider`, in batches: one transaction
 * per batch on SQLite; one multi-row `INSERT … SELECT FROM unnest(…)` per batch on PostgreSQL,
 * with the next batch sealed while the database writes the previous one. Every account is as
 * Tether leaves one it has just linked: created, updated and last used at the seeding time.
 */
export async function seedAccounts(
	db: BenchDatabase,
	provider: string,
	count: number,
	onProgress: (done: number) => void = () => {},
): Promise<SeedResult> {
	const started = performance.now();
	const now = Date.now();
	const batch = 5_000;
	const userIds: string[] = new Array(count);
	const keep = (rows: Row[], from: number) => {
		for (const [k, row] of rows.entries()) userIds[from + k] = row.userId;
	};
	if (db.kind === "sqlite") {
		const sqlite = new Database(db.url.slice("sqlite:".length));
		sqlite.pragma("journal_mode = WAL");
		sqlite.pragma("synchronous = NORMAL");
		// Random ids land all over the indexes: a large page cache keeps a million inserts from
		// re-reading index pages from the file.
		sqlite.pragma("cache_size = -524288");
		const user = sqlite.prepare(
			"INSERT INTO users (id, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
		);
		const account = sqlite.prepare(`INSERT INTO connected_accounts (
	id, user_id, provider_config_id, provider_account_id, email, scopes, token_type,
	access_token_enc, refresh_token_enc, refresh_token_hashes, access_token_expires_at, status,
	version, created_at, updated_at, last_used_at
) VALUES (?, ?, ?, ?, ?, ?, 'Bearer', ?, ?, ?, ?, 'active', 1, ?, ?, ?)`);
		const write = sqlite.transaction((rows: Row[]) => {
			for (const r of rows) {
				user.run(r.userId, r.email, now, now);
				account.run(
					r.accountId,
					r.userId,
					provider,
					r.providerAccountId,
					r.email,
					scopesJson,
					r.accessTokenEnc,
					r.refreshTokenEnc,
					r.refreshTokenHashes,
					r.expiresAt,
					now,
					now,
					now,
				);
			}
		});
		for (let from = 0; from < count; from += batch) {
			const rows = makeRows(from, Math.min(batch, count - from), now);
			write(rows);
			keep(rows, from);
			onProgress(from + rows.length);
		}
		sqlite.pragma("wal_checkpoint(TRUNCATE)");
		sqlite.close();
	} else {
		const client = new pg.Client({ connectionString: db.url });
		await client.connect();
		await client.query(`SET search_path TO ${db.schema ?? "public"}`);
		// A lost seed is re-run, not recovered: no need to wait for each batch's WAL flush.
		await client.query("SET synchronous_commit TO off");
		const write = async (rows: Row[]) => {
			await client.query("BEGIN");
			await client.query(
				`INSERT INTO users (id, email, created_at, updated_at)
SELECT id, email, $3, $3 FROM unnest($1::text[], $2::text[]) AS t (id, email)`,
				[rows.map((r) => r.userId), rows.map((r) => r.email), now],
			);
			await client.query(
				`INSERT INTO connected_accounts (
	id, user_id, provider_config_id, provider_account_id, email, scopes, token_type,
	access_token_enc, refresh_token_enc, refresh_token_hashes, access_token_expires_at, status,
	version, created_at, updated_at, last_used_at
)
SELECT id, user_id, $1, provider_account_id, email, $2::jsonb, 'Bearer', ate, rte, rth::jsonb, exp,
	'active', 1, $3, $3, $3
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
	$11::bigint[]) AS t (id, user_id, provider_account_id, email, ate, rte, rth, exp)`,
				[
					provider,
					scopesJson,
					now,
					rows.map((r) => r.accountId),
					rows.map((r) => r.userId),
					rows.map((r) => r.providerAccountId),
					rows.map((r) => r.email),
					rows.map((r) => r.accessTokenEnc),
					rows.map((r) => r.refreshTokenEnc),
					rows.map((r) => r.refreshTokenHashes),
					rows.map((r) => r.expiresAt),
				],
			);
			await client.query("COMMIT");
		};
		let pending: Promise<void> | undefined;
		for (let from = 0; from < count; from += batch) {
			const rows = makeRows(from, Math.min(batch, count - from), now);
			await pending;
			pending = write(rows);
			keep(rows, from);
			onProgress(from + rows.length);
		}
		await pending;
		await client.query("ANALYZE users");
		await client.query("ANALYZE connected_accounts");
		await client.end();
	}
	const seconds = (performance.now() - started) / 1000;
	return { userIds, seconds, rowsPerSecond: Math.round(count / seconds) };
}

/** Bytes the database holds: the SQLite file (and WAL), or the schema's tables with indexes. */
export async function databaseBytes(db: BenchDatabase): Promise<number> {
	if (db.kind === "sqlite") {
		const { statSync } = await import("node:fs");
		const path = db.url.slice("sqlite:".length);
		const size = (file: string) => {
			try {
				return statSync(file).size;
			} catch {
				return 0;
			}
		};
		return size(path) + size(`${path}-wal`);
	}
	const client = new pg.Client({ connectionString: db.url });
	await client.connect();
	const result = await client.query<{ bytes: string | null }>(
		`SELECT sum(pg_total_relation_size(c.oid))::text AS bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind = 'r'`,
		[db.schema ?? "public"],
	);
	await client.end();
	return Number(result.rows[0]?.bytes ?? 0);
}

/** Runs one statement against a bench database (SQLite file or PostgreSQL schema). */
export async function execute(
	db: BenchDatabase,
	sql: { sqlite: string; postgres: string },
	params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
	if (db.kind === "sqlite") {
		const sqlite = new Database(db.url.slice("sqlite:".length));
		sqlite.pragma("busy_timeout = 5000");
		try {
			const statement = sqlite.prepare(sql.sqlite);
			if (statement.reader)
				return statement.all(...params) as Record<string, unknown>[];
			statement.run(...params);
			return [];
		} finally {
			sqlite.close();
		}
	}
	const client = new pg.Client({ connectionString: db.url });
	await client.connect();
	try {
		await client.query(`SET search_path TO ${db.schema ?? "public"}`);
		return (await client.query(sql.postgres, params)).rows;
	} finally {
		await client.end();
	}
}
