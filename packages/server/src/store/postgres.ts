import pg from "pg";
import {
	accountChangeChannel,
	conflictNameFromPg,
	migrations,
	migrationsTableSql,
} from "./migrations.ts";
import {
	type AuditFilterShape,
	auditColumns,
	auditFilterShape,
	auditParams,
	authCodeParams,
	encryptedReplacePlan,
	eventParams,
	type InsertTable,
	insertColumns,
	linkIntentParams,
	newAccountParams,
	notReadsSql,
	oauthFlowParams,
	type PatchKind,
	patchColumns,
	patchValues,
	pendingLinkParams,
	positional,
	providerSessionParams,
	revocationParams,
	sessionParams,
	signingKeyParams,
	userLookupSql,
	userParams,
} from "./params.ts";
import {
	asRaw,
	checkEncryptedTable,
	encryptedTableKeys,
	toAccountCount,
	toAuditCount,
	toAuditEvent,
	toAuthCode,
	toConnectedAccount,
	toEncryptedRow,
	toEvent,
	toLinkIntent,
	toOAuthFlow,
	toPendingLink,
	toProviderSession,
	toRevocation,
	toSession,
	toSigningKey,
	toUser,
	toUserSummary,
} from "./rows.ts";
import {
	type EncryptedTable,
	encryptedColumns,
	type SideEffects,
	type Store,
	StoreConflictError,
} from "./types.ts";

export interface PostgresStoreOptions {
	/** `postgres://` or `postgresql://` connection URL. */
	url: string;
	/**
	 * Schema holding Tether's tables (lowercase letters, digits, `_`); `migrate()` creates it when
	 * missing and every pooled connection gets it as its `search_path`. Default: the server's
	 * search_path (usually `public`).
	 */
	schema?: string;
	/** Most connections the pool opens. Default 10. */
	max?: number;
	/** Shown in `pg_stat_activity`. Default "tether". */
	applicationName?: string;
}

type Client = pg.PoolClient;
type Value = string | number | boolean | (string | number | null)[] | null;
type Rows = unknown[];

const int8Oid = 20;
/** First half of the migration advisory-lock key ("tt"); the second half is the schema's hash. */
const migrationLockClass = 0x7474;

function insertSql(table: InsertTable): string {
	const columns = insertColumns[table];
	return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`;
}

const insertSqls: Record<InsertTable, string> = {
	users: insertSql("users"),
	sessions: insertSql("sessions"),
	connected_accounts: insertSql("connected_accounts"),
	provider_sessions: insertSql("provider_sessions"),
	link_intents: insertSql("link_intents"),
	oauth_flows: insertSql("oauth_flows"),
	auth_codes: insertSql("auth_codes"),
	pending_links: insertSql("pending_links"),
	revocations: insertSql("revocations"),
	events: insertSql("events"),
	signing_keys: insertSql("signing_keys"),
};

const sqlType: Record<PatchKind, string> = {
	text: "text",
	bigint: "bigint",
	json: "jsonb",
};

// $1 id, $2 expected version, $3 now, $4 release lease, then a (flag, value) pair per patch column.
const updateAccountSql = `UPDATE connected_accounts SET
	${patchColumns
		.map(
			({ column, kind }, i) =>
				`${column} = CASE WHEN $${5 + 2 * i}::boolean THEN $${6 + 2 * i}::${sqlType[kind]} ELSE ${column} END`,
		)
		.join(",\n\t")},
	lease_owner = CASE WHEN $4::boolean THEN NULL ELSE lease_owner END,
	lease_expires_at = CASE WHEN $4::boolean THEN NULL ELSE lease_expires_at END,
	version = version + 1,
	updated_at = $3
WHERE id = $1 AND version = $2
RETURNING *`;

/** Lease holders that do not block `$owner`: nobody, an expired holder, or the owner itself. */
function leaseFree(owner: string, now: string): string {
	return `(lease_owner IS NULL OR lease_owner = ${owner} OR lease_expires_at IS NULL OR lease_expires_at <= ${now})`;
}

const claimExpiringSql = `UPDATE connected_accounts AS a SET lease_owner = $1, lease_expires_at = $2
FROM (
	SELECT id FROM connected_accounts
	WHERE status = 'active' AND access_token_expires_at < $3 AND last_used_at > $4
		AND ${leaseFree("$1", "$5")}
	ORDER BY access_token_expires_at LIMIT $6
	FOR UPDATE SKIP LOCKED
) AS picked
WHERE a.id = picked.id
RETURNING a.*`;

// Rows are locked in id order so that two overlapping batches cannot deadlock each other.
const markUsedSql = `UPDATE connected_accounts SET last_used_at = $2
WHERE id IN (
	SELECT id FROM connected_accounts
	WHERE id = ANY($1::text[]) AND (last_used_at IS NULL OR last_used_at < $2)
	ORDER BY id FOR UPDATE
)`;

const acquireLeaseSql = `UPDATE connected_accounts SET lease_owner = $2, lease_expires_at = $4
WHERE id = $1 AND ${leaseFree("$2", "$3")}
RETURNING *`;

function claimSql(table: "revocations" | "events", pending: string): string {
	return `UPDATE ${table} AS w SET next_attempt_at = $3, attempts = w.attempts + 1
FROM (
	SELECT id FROM ${table} WHERE ${pending} next_attempt_at <= $1
	ORDER BY next_attempt_at, id LIMIT $2
	FOR UPDATE SKIP LOCKED
) AS picked
WHERE w.id = picked.id
RETURNING w.*`;
}

const claimRevocationsSql = claimSql("revocations", "");
const claimEventsSql = claimSql("events", "delivered_at IS NULL AND");

const purgeSql = `WITH
	a AS (DELETE FROM provider_sessions WHERE expires_at <= $1 RETURNING 1),
	b AS (DELETE FROM link_intents WHERE expires_at <= $1 RETURNING 1),
	c AS (DELETE FROM oauth_flows WHERE expires_at <= $1 RETURNING 1),
	d AS (DELETE FROM auth_codes WHERE expires_at <= $1 RETURNING 1),
	e AS (DELETE FROM sessions WHERE expires_at <= $1 RETURNING 1),
	f AS (DELETE FROM pending_links WHERE expires_at <= $1 RETURNING 1)
SELECT (SELECT COUNT(*) FROM a) + (SELECT COUNT(*) FROM b) + (SELECT COUNT(*) FROM c)
	+ (SELECT COUNT(*) FROM d) + (SELECT COUNT(*) FROM e) + (SELECT COUNT(*) FROM f) AS n`;

/** The SQL type of each `audit_events` column, for the one-statement batch insert below. */
const auditTypes: Record<(typeof auditColumns)[number], string> = {
	id: "text",
	at: "bigint",
	kind: "text",
	user_id: "text",
	provider_config_id: "text",
	provider_account_id: "text",
	reason: "text",
	occurrences: "integer",
	detail: "text",
};

/**
 * One array parameter per column, so a batch of any size is one statement with one fixed text. An
 * id already there is the same entry written twice (a batch retried after an unclear failure).
 */
const appendAuditSql = `INSERT INTO audit_events (${auditColumns.join(", ")})
SELECT ${auditColumns.map((c) => (c === "detail" ? "detail::jsonb" : c)).join(", ")}
FROM unnest(${auditColumns.map((c, i) => `$${i + 1}::${auditTypes[c]}[]`).join(", ")})
	AS batch (${auditColumns.join(", ")})
ON CONFLICT (id) DO NOTHING`;

function listAuditSql(filters: AuditFilterShape): {
	text: string;
	order: string[];
} {
	const where: string[] = [];
	const order: string[] = [];
	const param = (name: string) => {
		order.push(name);
		return `$${order.length}`;
	};
	if (filters.before)
		where.push(`(at, id) < (${param("before_at")}, ${param("before_id")})`);
	if (filters.userId) where.push(`user_id = ${param("user_id")}`);
	if (filters.provider) where.push(`provider_config_id = ${param("provider")}`);
	if (filters.kind) where.push(`kind = ${param("kind")}`);
	if (filters.notReads) where.push(notReadsSql);
	const limit = param("limit");
	return {
		text: `SELECT * FROM audit_events${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`} ORDER BY at DESC, id DESC LIMIT ${limit}`,
		order,
	};
}

function listUsersSql(filters: { after: boolean; query: boolean }): {
	text: string;
	order: string[];
} {
	const where: string[] = [];
	const order: string[] = [];
	if (filters.after) {
		order.push("after_created_at", "after_id");
		where.push("(u.created_at, u.id) < ($1, $2)");
	}
	if (filters.query) {
		order.push("query");
		where.push(userLookupSql(`$${order.length}::text`));
	}
	order.push("limit");
	return {
		text: `SELECT u.*, (SELECT COUNT(*) FROM connected_accounts c WHERE c.user_id = u.id) AS account_count
FROM users u${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`}
ORDER BY u.created_at DESC, u.id DESC LIMIT $${order.length}`,
		order,
	};
}

/** Builds each filter combination's text once; `order` names the values of `$1`, `$2`, … */
function memo<K extends Record<string, boolean>>(
	build: (filters: K) => { text: string; order: string[] },
): (filters: K) => { text: string; order: string[] } {
	const cache = new Map<string, { text: string; order: string[] }>();
	return (filters) => {
		const key = JSON.stringify(filters);
		let hit = cache.get(key);
		if (hit === undefined) {
			hit = build(filters);
			cache.set(key, hit);
		}
		return hit;
	};
}

const listAuditStatement = memo(listAuditSql);
const listUsersStatement = memo(listUsersSql);

const auditCountsSql = `SELECT (at / $3::bigint) * $3::bigint AS bucket_start,
	kind, provider_config_id, reason, SUM(occurrences) AS n
FROM audit_events
WHERE at >= $1 AND at < $2 AND ($4::text[] IS NULL OR kind = ANY($4::text[]))
GROUP BY bucket_start, kind, provider_config_id, reason
ORDER BY bucket_start, kind, provider_config_id, reason`;

function encryptedSql(table: EncryptedTable) {
	const key = encryptedTableKeys[table];
	const columns = encryptedColumns[table];
	// An envelope is `v<n>.<keyId>.<iv>.<ct>`; split_part gives "" for a malformed value, which
	// never equals a real key id, so such values count as needing attention.
	const notUnderKey = columns
		.map((c) => `(${c} IS NOT NULL AND split_part(${c}, '.', 2) <> $1)`)
		.join(" OR ");
	// $1 id, then per column: check flag, expected value, set flag, next value.
	const at = (i: number, k: number) => `$${2 + 4 * i + k}`;
	return {
		list: `SELECT ${key}, ${columns.join(", ")} FROM ${table} WHERE ${key} > $2 AND (${notUnderKey}) ORDER BY ${key} LIMIT $3`,
		count: `SELECT COUNT(*) AS n FROM ${table} WHERE ${notUnderKey}`,
		replace: `UPDATE ${table} SET ${columns
			.map(
				(c, i) =>
					`${c} = CASE WHEN ${at(i, 2)}::boolean THEN ${at(i, 3)}::text ELSE ${c} END`,
			)
			.join(", ")} WHERE ${key} = $1 AND ${columns
			.map(
				(c, i) =>
					`(NOT ${at(i, 0)}::boolean OR ${c} IS NOT DISTINCT FROM ${at(i, 1)}::text)`,
			)
			.join(" AND ")}`,
	};
}

const encrypted: Record<EncryptedTable, ReturnType<typeof encryptedSql>> = {
	connected_accounts: encryptedSql("connected_accounts"),
	provider_sessions: encryptedSql("provider_sessions"),
	oauth_flows: encryptedSql("oauth_flows"),
	revocations: encryptedSql("revocations"),
	signing_keys: encryptedSql("signing_keys"),
	pending_links: encryptedSql("pending_links"),
};

function toConflict(error: unknown): unknown {
	if (error instanceof pg.DatabaseError && error.code === "23505") {
		return new StoreConflictError(conflictNameFromPg(error.constraint));
	}
	return error;
}

function countOf(rows: Rows): number {
	const n = asRaw(rows[0], "count").n;
	if (typeof n !== "number") throw new Error("store: COUNT(*) is not a number");
	return n;
}

function checkSchema(schema: string): string {
	// Interpolated into DDL and the connection's options, so only plain lowercase identifiers pass.
	if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
		throw new Error(
			"postgres schema must be a lowercase identifier (letters, digits, _; at most 63 characters)",
		);
	}
	return schema;
}

/**
 * The scale-out store: any number of Tether processes share one database. Every atomic method is a
 * single statement (row locks and `SKIP LOCKED` do the arbitration) or one transaction on one client.
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
	const schema =
		options.schema === undefined ? undefined : checkSchema(options.schema);
	// BIGINT columns hold epoch milliseconds, well inside Number's exact range; parsing them as
	// numbers here, per pool, leaves other users of `pg` in the same process untouched.
	const types = new pg.TypeOverrides();
	types.setTypeParser(int8Oid, (value: string) => Number(value));
	const pool = new pg.Pool({
		connectionString: options.url,
		max: options.max ?? 10,
		application_name: options.applicationName ?? "tether",
		types,
		...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
	});
	// An idle connection that dies (server restart, network) is dropped by the pool and replaced on
	// the next query; without a listener the event would crash the process.
	pool.on("error", () => {});
	let ending: Promise<void> | undefined;
	const accountWatchers = new Set<(accountId: string) => void>();
	const changed = (id: string) => {
		for (const watcher of accountWatchers) watcher(id);
	};
	let changeListener: ChangeListener | undefined;

	async function query(
		text: string,
		values: Value[] = [],
		client?: Client,
	): Promise<Rows> {
		try {
			const result = await (client ?? pool).query<Record<string, unknown>>(
				text,
				values,
			);
			return result.rows;
		} catch (error) {
			throw toConflict(error);
		}
	}

	async function one<T>(
		text: string,
		values: Value[],
		map: (row: unknown) => T,
		client?: Client,
	): Promise<T | null> {
		const rows = await query(text, values, client);
		return rows.length === 0 ? null : map(rows[0]);
	}

	async function transaction<T>(
		fn: (client: Client) => Promise<T>,
	): Promise<T> {
		const client = await pool.connect();
		let broken = false;
		try {
			await client.query("BEGIN");
			const result = await fn(client);
			await client.query("COMMIT");
			return result;
		} catch (error) {
			await client.query("ROLLBACK").catch(() => {
				broken = true;
			});
			throw error;
		} finally {
			// A connection whose ROLLBACK failed is in an unknown state; the pool must not reuse it.
			client.release(broken);
		}
	}

	async function insert(
		table: InsertTable,
		params: Record<string, string | number | null>,
		client?: Client,
	): Promise<void> {
		await query(insertSqls[table], positional(table, params), client);
	}

	async function writeEffects(
		client: Client,
		effects: SideEffects | undefined,
	): Promise<void> {
		for (const event of effects?.events ?? []) {
			await insert("events", eventParams(event), client);
		}
		for (const revocation of effects?.revocations ?? []) {
			await insert("revocations", revocationParams(revocation), client);
		}
	}

	const hasEffects = (effects: SideEffects | undefined) =>
		(effects?.events?.length ?? 0) + (effects?.revocations?.length ?? 0) > 0;

	return {
		kind: "postgres",

		async migrate() {
			await transaction(async (client) => {
				// Held until COMMIT: a second process starting now waits here, then finds the work done.
				await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
					migrationLockClass,
					schema ?? "",
				]);
				if (schema !== undefined) {
					await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
				}
				await client.query(migrationsTableSql);
				const applied = await client.query<Record<string, unknown>>(
					"SELECT version FROM schema_migrations",
				);
				const done = new Set(applied.rows.map((r) => r.version));
				for (const m of migrations) {
					if (done.has(m.version)) continue;
					await client.query(m.sql.postgres);
					await client.query(
						"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
						[m.version, m.name, Date.now()],
					);
				}
			});
		},

		async ping() {
			await query("SELECT 1");
		},

		async close() {
			await changeListener?.stop();
			changeListener = undefined;
			// pg throws on a second end(); shutdown paths may well close twice.
			if (!ending) ending = pool.end();
			await ending;
		},

		async insertUser(row) {
			await insert("users", userParams(row));
		},
		getUser(id) {
			return one("SELECT * FROM users WHERE id = $1", [id], toUser);
		},
		findUserByExternalId(externalId) {
			return one(
				"SELECT * FROM users WHERE external_id = $1",
				[externalId],
				toUser,
			);
		},

		async insertSession(row) {
			await insert("sessions", sessionParams(row));
		},
		findSessionByRefreshHash(hash) {
			return one(
				"SELECT * FROM sessions WHERE refresh_token_hash = $1",
				[hash],
				toSession,
			);
		},
		getSession(id) {
			return one("SELECT * FROM sessions WHERE id = $1", [id], toSession);
		},
		rotateSession(oldId, next, now) {
			return transaction(async (client) => {
				// The row lock taken here makes a concurrent rotation wait, then see rotated_at set.
				const rotated = await query(
					"UPDATE sessions SET rotated_at = $2 WHERE id = $1 AND rotated_at IS NULL AND revoked_at IS NULL RETURNING id",
					[oldId, now],
					client,
				);
				if (rotated.length === 0) return false;
				await insert("sessions", sessionParams(next), client);
				return true;
			});
		},
		async revokeSessionFamily(familyId, now) {
			const rows = await query(
				"UPDATE sessions SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL RETURNING id",
				[familyId, now],
			);
			return rows.length;
		},

		async insertConnectedAccount(row, effects) {
			const params = newAccountParams(row);
			if (!hasEffects(effects)) return insert("connected_accounts", params);
			await transaction(async (client) => {
				await insert("connected_accounts", params, client);
				await writeEffects(client, effects);
			});
		},
		getConnectedAccount(id) {
			return one(
				"SELECT * FROM connected_accounts WHERE id = $1",
				[id],
				toConnectedAccount,
			);
		},
		findConnectedAccount(providerConfigId, providerAccountId) {
			return one(
				"SELECT * FROM connected_accounts WHERE provider_config_id = $1 AND provider_account_id = $2",
				[providerConfigId, providerAccountId],
				toConnectedAccount,
			);
		},
		async listConnectedAccounts(userId) {
			const rows = await query(
				"SELECT * FROM connected_accounts WHERE user_id = $1 ORDER BY created_at, id",
				[userId],
			);
			return rows.map(toConnectedAccount);
		},
		async updateConnectedAccount(id, expectedVersion, patch, now, effects) {
			const values: Value[] = [
				id,
				expectedVersion,
				now,
				patch.releaseLease === true,
			];
			for (const v of patchValues(patch)) values.push(v.set, v.value);
			const row = !hasEffects(effects)
				? await one(updateAccountSql, values, toConnectedAccount)
				: await transaction(async (client) => {
						const updated = await one(
							updateAccountSql,
							values,
							toConnectedAccount,
							client,
						);
						// A lost compare-and-set writes nothing, side effects included.
						if (updated !== null) await writeEffects(client, effects);
						return updated;
					});
			// This process hears its own writes at once; the others, from the trigger's NOTIFY.
			if (row !== null) changed(id);
			return row;
		},
		acquireLease(id, owner, now, expiresAt) {
			return one(
				acquireLeaseSql,
				[id, owner, now, expiresAt],
				toConnectedAccount,
			);
		},
		async releaseLease(id, owner) {
			await query(
				"UPDATE connected_accounts SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2",
				[id, owner],
			);
		},
		async claimExpiring(input) {
			const rows = await query(claimExpiringSql, [
				input.owner,
				input.leaseExpiresAt,
				input.expiringBefore,
				input.usedAfter,
				input.now,
				input.limit,
			]);
			// RETURNING has no ORDER BY; hand out the most urgent first.
			return rows
				.map(toConnectedAccount)
				.sort(
					(a, b) =>
						(a.accessTokenExpiresAt ?? 0) - (b.accessTokenExpiresAt ?? 0),
				);
		},
		async markUsed(ids, now) {
			if (ids.length === 0) return;
			await query(markUsedSql, [ids, now]);
		},
		async deleteConnectedAccount(id, effects) {
			const row = await transaction(async (client) => {
				const deleted = await one(
					"DELETE FROM connected_accounts WHERE id = $1 RETURNING *",
					[id],
					toConnectedAccount,
					client,
				);
				if (deleted !== null) await writeEffects(client, effects);
				return deleted;
			});
			if (row !== null) changed(id);
			return row;
		},
		watchAccounts(watcher) {
			accountWatchers.add(watcher);
			changeListener ??= listenForAccountChanges(
				{
					connectionString: options.url,
					application_name: `${options.applicationName ?? "tether"} (listen)`,
				},
				changed,
			);
			return {
				mark: () => changeListener?.mark() ?? null,
				async stop() {
					accountWatchers.delete(watcher);
					if (accountWatchers.size > 0) return;
					await changeListener?.stop();
					changeListener = undefined;
				},
			};
		},

		async putProviderSession(row) {
			await insert("provider_sessions", providerSessionParams(row));
		},
		consumeProviderSession(input) {
			return one(
				`DELETE FROM provider_sessions WHERE id = (
	SELECT id FROM provider_sessions
	WHERE user_id = $1 AND provider_config_id = $2
		AND session_family_id IS NOT DISTINCT FROM $3 AND expires_at > $4
	ORDER BY created_at DESC, id DESC LIMIT 1
	FOR UPDATE SKIP LOCKED
) RETURNING *`,
				[
					input.userId,
					input.providerConfigId,
					input.sessionFamilyId,
					input.now,
				],
				toProviderSession,
			);
		},
		async putLinkIntent(row) {
			await insert("link_intents", linkIntentParams(row));
		},
		consumeLinkIntent(idHash, now) {
			return one(
				"DELETE FROM link_intents WHERE id_hash = $1 AND expires_at > $2 RETURNING *",
				[idHash, now],
				toLinkIntent,
			);
		},
		async putOAuthFlow(row) {
			await insert("oauth_flows", oauthFlowParams(row));
		},
		consumeOAuthFlow(stateHash, now) {
			return one(
				"DELETE FROM oauth_flows WHERE state_hash = $1 AND expires_at > $2 RETURNING *",
				[stateHash, now],
				toOAuthFlow,
			);
		},
		async putAuthCode(row) {
			await insert("auth_codes", authCodeParams(row));
		},
		consumeAuthCode(codeHash, now) {
			return one(
				"DELETE FROM auth_codes WHERE code_hash = $1 AND expires_at > $2 RETURNING *",
				[codeHash, now],
				toAuthCode,
			);
		},
		async putPendingLink(row) {
			await insert("pending_links", pendingLinkParams(row));
		},
		consumePendingLink(codeHash, now) {
			return one(
				"DELETE FROM pending_links WHERE code_hash = $1 AND expires_at > $2 RETURNING *",
				[codeHash, now],
				toPendingLink,
			);
		},
		async purgeExpired(now) {
			return countOf(await query(purgeSql, [now]));
		},

		async claimRevocations(input) {
			const rows = await query(claimRevocationsSql, [
				input.now,
				input.limit,
				input.claimUntil,
			]);
			return rows
				.map(toRevocation)
				.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
		},
		async completeRevocation(id) {
			await query("DELETE FROM revocations WHERE id = $1", [id]);
		},
		async rescheduleRevocation(id, nextAttemptAt, lastError) {
			await query(
				"UPDATE revocations SET next_attempt_at = $2, last_error = $3 WHERE id = $1",
				[id, nextAttemptAt, lastError],
			);
		},

		async claimEvents(input) {
			const rows = await query(claimEventsSql, [
				input.now,
				input.limit,
				input.claimUntil,
			]);
			return rows
				.map(toEvent)
				.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
		},
		async markEventDelivered(id, now) {
			await query(
				"UPDATE events SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL",
				[id, now],
			);
		},
		async rescheduleEvent(id, nextAttemptAt, lastError) {
			await query(
				"UPDATE events SET next_attempt_at = $2, last_error = $3 WHERE id = $1 AND delivered_at IS NULL",
				[id, nextAttemptAt, lastError],
			);
		},
		async listEvents(input) {
			const rows =
				input.beforeCreatedAt === undefined
					? await query(
							"SELECT * FROM events ORDER BY created_at DESC, id DESC LIMIT $1",
							[input.limit],
						)
					: await query(
							"SELECT * FROM events WHERE created_at < $1 ORDER BY created_at DESC, id DESC LIMIT $2",
							[input.beforeCreatedAt, input.limit],
						);
			return rows.map(toEvent);
		},
		resetEvent(id, now) {
			return one(
				"UPDATE events SET delivered_at = NULL, attempts = 0, last_error = NULL, next_attempt_at = $2 WHERE id = $1 RETURNING *",
				[id, now],
				toEvent,
			);
		},

		async appendAudit(rows) {
			if (rows.length === 0) return;
			const params = rows.map(auditParams);
			await query(
				appendAuditSql,
				auditColumns.map((column) => params.map((p) => p[column] ?? null)),
			);
		},
		async listAudit(input) {
			const { text, order } = listAuditStatement(auditFilterShape(input));
			const values: Record<string, Value> = {
				before_at: input.before?.at ?? null,
				before_id: input.before?.id ?? null,
				user_id: input.userId ?? null,
				provider: input.provider ?? null,
				kind: input.kind ?? null,
				limit: input.limit,
			};
			const rows = await query(
				text,
				order.map((name) => values[name] ?? null),
			);
			return rows.map(toAuditEvent);
		},
		async auditCounts(input) {
			const rows = await query(auditCountsSql, [
				input.since,
				input.until ?? Number.MAX_SAFE_INTEGER,
				Math.max(1, Math.trunc(input.bucketMs)),
				input.kinds ?? null,
			]);
			return rows.map(toAuditCount);
		},
		async pruneAudit(before, limit) {
			const rows = await query(
				"DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 ORDER BY at, id LIMIT $2) RETURNING 1",
				[before, limit],
			);
			return rows.length;
		},

		async listUsers(input) {
			const { text, order } = listUsersStatement({
				after: input.after !== undefined,
				query: input.query !== undefined,
			});
			const values: Record<string, Value> = {
				after_created_at: input.after?.createdAt ?? null,
				after_id: input.after?.id ?? null,
				query: input.query ?? null,
				limit: input.limit,
			};
			const rows = await query(
				text,
				order.map((name) => values[name] ?? null),
			);
			return rows.map(toUserSummary);
		},
		async countAccounts() {
			const rows = await query(
				"SELECT provider_config_id, status, COUNT(*) AS n FROM connected_accounts GROUP BY provider_config_id, status ORDER BY provider_config_id, status",
			);
			return rows.map(toAccountCount);
		},

		async listSigningKeys() {
			const rows = await query(
				"SELECT * FROM signing_keys ORDER BY created_at DESC, kid DESC",
			);
			return rows.map(toSigningKey);
		},
		async insertSigningKey(row) {
			await insert("signing_keys", signingKeyParams(row));
		},
		async retireSigningKey(kid, now) {
			await query(
				"UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL",
				[kid, now],
			);
		},

		async listEncryptedNotUnderKey(table, keyId, afterId, limit) {
			const t = checkEncryptedTable(table);
			const rows = await query(encrypted[t].list, [keyId, afterId, limit]);
			return rows.map((r) => toEncryptedRow(r, t));
		},
		async replaceEncrypted(table, id, expected, next) {
			const t = checkEncryptedTable(table);
			const values: Value[] = [id];
			for (const c of encryptedReplacePlan(t, expected, next)) {
				values.push(c.check, c.expected, c.set, c.next);
			}
			const result = await pool.query(encrypted[t].replace, values);
			return result.rowCount === 1;
		},
		async countEncryptedNotUnderKey(table, keyId) {
			const t = checkEncryptedTable(table);
			return countOf(await query(encrypted[t].count, [keyId]));
		},
	};
}

interface ChangeListener {
	/** The connection's generation while it listens; null while it does not. */
	mark(): number | null;
	stop(): Promise<void>;
}

/**
 * One connection outside the pool that LISTENs for the account-change trigger's notices. While it
 * is down nobody can tell what other processes changed, so `mark()` is null (caches keep nothing);
 * each new connection is a new generation, since notices sent while it was away are lost.
 */
function listenForAccountChanges(
	config: pg.ClientConfig,
	changed: (accountId: string) => void,
): ChangeListener {
	let current: pg.Client | undefined;
	let generation = 0;
	let stopped = false;
	let retryMs = 250;
	let retry: NodeJS.Timeout | undefined;

	function lost(client: pg.Client) {
		if (current === client) current = undefined;
		client.removeAllListeners("notification");
		client.end().catch(() => {});
		if (stopped || retry !== undefined) return;
		retry = setTimeout(() => {
			retry = undefined;
			void connect();
		}, retryMs);
		retry.unref();
		retryMs = Math.min(retryMs * 2, 5_000);
	}

	async function connect() {
		const client = new pg.Client(config);
		let gone = false;
		const onGone = () => {
			if (gone) return;
			gone = true;
			lost(client);
		};
		client.on("error", onGone);
		client.on("end", onGone);
		client.on("notification", (notice) => {
			if (notice.channel === accountChangeChannel && notice.payload)
				changed(notice.payload);
		});
		try {
			await client.connect();
			await client.query(`LISTEN ${accountChangeChannel}`);
		} catch {
			onGone();
			return;
		}
		if (stopped || gone) {
			onGone();
			return;
		}
		generation++;
		current = client;
		retryMs = 250;
	}

	void connect();
	return {
		mark: () => (current === undefined ? null : generation),
		async stop() {
			stopped = true;
			clearTimeout(retry);
			const client = current;
			current = undefined;
			await client?.end().catch(() => {});
		},
	};
}
