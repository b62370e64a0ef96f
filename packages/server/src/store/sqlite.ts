import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import {
	conflictNameFromSqlite,
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
	type Params,
	patchColumns,
	patchValues,
	pendingLinkParams,
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
	envelopeKeyId,
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
import { startCheckpointer } from "./sqlite-checkpointer.ts";
import {
	type EncryptedTable,
	encryptedColumns,
	type SessionRow,
	type SideEffects,
	type Store,
	StoreConflictError,
} from "./types.ts";

export interface SqliteStoreOptions {
	/** A file path (its directory is created when missing) or `:memory:`. */
	path: string;
	/** How long a writer waits for another process's lock before failing, in ms. Default 5000. */
	busyTimeoutMs?: number;
}

type Db = Database.Database;
type Stmt = Database.Statement<unknown[], unknown>;

function insertSql(table: InsertTable): string {
	const columns = insertColumns[table];
	return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`;
}

/** How stale a process's view of other processes' commits may be (see `watchAccounts`). */
const dataVersionEveryMs = 1;

/** Holders of the lease: nobody, an expired holder, or the caller itself. */
const leaseFree =
	"(lease_owner IS NULL OR lease_owner = @owner OR lease_expires_at IS NULL OR lease_expires_at <= @now)";

/** One `SET` term per patchable field: written only when its flag is 1, so one statement fits every patch. */
const patchSet = patchColumns
	.map(
		({ column }) =>
			`${column} = CASE WHEN @set_${column} = 1 THEN @v_${column} ELSE ${column} END`,
	)
	.join(",\n\t");

function notUnderKey(table: EncryptedTable): string {
	return encryptedColumns[table]
		.map((c) => `(${c} IS NOT NULL AND tether_key_id(${c}) <> @key_id)`)
		.join(" OR ");
}

/** Filters of `listAudit` (as SQL terms over named parameters); one cached statement per combination. */
function listAuditSql(filters: AuditFilterShape): string {
	const where: string[] = [];
	// `at <= x` first, so the index on (at, id) serves the range and the rest only filters.
	if (filters.before)
		where.push("at <= @before_at AND (at < @before_at OR id < @before_id)");
	if (filters.userId) where.push("user_id = @user_id");
	if (filters.provider) where.push("provider_config_id = @provider");
	if (filters.kind) where.push("kind = @kind");
	if (filters.notReads) where.push(notReadsSql);
	return `SELECT * FROM audit_events${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`} ORDER BY at DESC, id DESC LIMIT @limit`;
}

/** An id already there is the same entry written twice (a batch retried after an unclear failure). */
const insertAuditSql = `INSERT OR IGNORE INTO audit_events (${auditColumns.join(", ")}) VALUES (${auditColumns.map((c) => `@${c}`).join(", ")})`;

function listUsersSql(filters: { after: boolean; query: boolean }): string {
	const where: string[] = [];
	if (filters.after)
		where.push(
			"u.created_at <= @after_created_at AND (u.created_at < @after_created_at OR u.id < @after_id)",
		);
	if (filters.query) where.push(userLookupSql("@query"));
	return `SELECT u.*, (SELECT COUNT(*) FROM connected_accounts c WHERE c.user_id = u.id) AS account_count
FROM users u${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`}
ORDER BY u.created_at DESC, u.id DESC LIMIT @limit`;
}

// Numbers bind as REAL in better-sqlite3; the cast keeps the division an integer one.
const auditCountsSql = (kinds: boolean) =>
	`SELECT (at / CAST(@bucket AS INTEGER)) * CAST(@bucket AS INTEGER) AS bucket_start,
	kind, provider_config_id, reason, SUM(occurrences) AS n
FROM audit_events
WHERE at >= @since AND at < @until${kinds ? " AND kind IN (SELECT value FROM json_each(@kinds))" : ""}
GROUP BY bucket_start, kind, provider_config_id, reason
ORDER BY bucket_start, kind, provider_config_id, reason`;

function prepareAll(db: Db) {
	const p = (sql: string): Stmt => db.prepare(sql);
	// Statements whose text depends on which filters a call uses, prepared on first use of each.
	const variants = new Map<string, Stmt>();
	const variant = (sql: string): Stmt => {
		let stmt = variants.get(sql);
		if (stmt === undefined) {
			stmt = p(sql);
			variants.set(sql, stmt);
		}
		return stmt;
	};
	const encrypted = (table: EncryptedTable) => {
		const key = encryptedTableKeys[table];
		const columns = encryptedColumns[table];
		return {
			list: p(
				`SELECT ${key}, ${columns.join(", ")} FROM ${table} WHERE ${key} > @after_id AND (${notUnderKey(table)}) ORDER BY ${key} LIMIT @limit`,
			),
			count: p(
				`SELECT COUNT(*) AS n FROM ${table} WHERE ${notUnderKey(table)}`,
			),
			replace: p(
				`UPDATE ${table} SET ${columns
					.map(
						(c) =>
							`${c} = CASE WHEN @set_${c} = 1 THEN @next_${c} ELSE ${c} END`,
					)
					.join(", ")} WHERE ${key} = @id AND ${columns
					.map((c) => `(@check_${c} = 0 OR ${c} IS @expected_${c})`)
					.join(" AND ")}`,
			),
		};
	};
	return {
		ping: p("SELECT 1"),
		insertUser: p(insertSql("users")),
		getUser: p("SELECT * FROM users WHERE id = ?"),
		findUserByExternalId: p("SELECT * FROM users WHERE external_id = ?"),

		insertSession: p(insertSql("sessions")),
		getSession: p("SELECT * FROM sessions WHERE id = ?"),
		findSessionByRefreshHash: p(
			"SELECT * FROM sessions WHERE refresh_token_hash = ?",
		),
		markRotated: p(
			"UPDATE sessions SET rotated_at = @now WHERE id = @id AND rotated_at IS NULL AND revoked_at IS NULL",
		),
		revokeFamily: p(
			"UPDATE sessions SET revoked_at = @now WHERE family_id = @family_id AND revoked_at IS NULL",
		),

		insertAccount: p(insertSql("connected_accounts")),
		getAccount: p("SELECT * FROM connected_accounts WHERE id = ?"),
		findAccount: p(
			"SELECT * FROM connected_accounts WHERE provider_config_id = ? AND provider_account_id = ?",
		),
		listAccounts: p(
			"SELECT * FROM connected_accounts WHERE user_id = ? ORDER BY created_at, id",
		),
		updateAccount: p(`UPDATE connected_accounts SET
	${patchSet},
	lease_owner = CASE WHEN @release_lease = 1 THEN NULL ELSE lease_owner END,
	lease_expires_at = CASE WHEN @release_lease = 1 THEN NULL ELSE lease_expires_at END,
	version = version + 1,
	updated_at = @now
WHERE id = @id AND version = @expected_version
RETURNING *`),
		acquireLease: p(
			`UPDATE connected_accounts SET lease_owner = @owner, lease_expires_at = @expires_at WHERE id = @id AND ${leaseFree} RETURNING *`,
		),
		releaseLease: p(
			"UPDATE connected_accounts SET lease_owner = NULL, lease_expires_at = NULL WHERE id = @id AND lease_owner = @owner",
		),
		claimExpiring:
			p(`UPDATE connected_accounts SET lease_owner = @owner, lease_expires_at = @lease_expires_at
WHERE id IN (
	SELECT id FROM connected_accounts
	WHERE status = 'active' AND access_token_expires_at < @expiring_before
		AND last_used_at > @used_after AND ${leaseFree}
	ORDER BY access_token_expires_at LIMIT @limit
)
RETURNING *`),
		// Never moves backwards: two processes may report uses out of order.
		markUsed: p(
			"UPDATE connected_accounts SET last_used_at = @now WHERE id IN (SELECT value FROM json_each(@ids)) AND (last_used_at IS NULL OR last_used_at < @now)",
		),
		deleteAccount: p("DELETE FROM connected_accounts WHERE id = ? RETURNING *"),

		putProviderSession: p(insertSql("provider_sessions")),
		consumeProviderSession: p(`DELETE FROM provider_sessions WHERE id = (
	SELECT id FROM provider_sessions
	WHERE user_id = @user_id AND provider_config_id = @provider_config_id
		AND session_family_id IS @session_family_id AND expires_at > @now
	ORDER BY created_at DESC, id DESC LIMIT 1
) RETURNING *`),
		putLinkIntent: p(insertSql("link_intents")),
		consumeLinkIntent: p(
			"DELETE FROM link_intents WHERE id_hash = ? AND expires_at > ? RETURNING *",
		),
		putOAuthFlow: p(insertSql("oauth_flows")),
		consumeOAuthFlow: p(
			"DELETE FROM oauth_flows WHERE state_hash = ? AND expires_at > ? RETURNING *",
		),
		putAuthCode: p(insertSql("auth_codes")),
		consumeAuthCode: p(
			"DELETE FROM auth_codes WHERE code_hash = ? AND expires_at > ? RETURNING *",
		),
		purge: [
			p("DELETE FROM provider_sessions WHERE expires_at <= ?"),
			p("DELETE FROM link_intents WHERE expires_at <= ?"),
			p("DELETE FROM oauth_flows WHERE expires_at <= ?"),
			p("DELETE FROM auth_codes WHERE expires_at <= ?"),
			p("DELETE FROM sessions WHERE expires_at <= ?"),
			p("DELETE FROM pending_links WHERE expires_at <= ?"),
		],
		putPendingLink: p(insertSql("pending_links")),
		consumePendingLink: p(
			"DELETE FROM pending_links WHERE code_hash = ? AND expires_at > ? RETURNING *",
		),

		insertRevocation: p(insertSql("revocations")),
		claimRevocations:
			p(`UPDATE revocations SET next_attempt_at = @claim_until, attempts = attempts + 1
WHERE id IN (
	SELECT id FROM revocations WHERE next_attempt_at <= @now
	ORDER BY next_attempt_at, id LIMIT @limit
)
RETURNING *`),
		completeRevocation: p("DELETE FROM revocations WHERE id = ?"),
		rescheduleRevocation: p(
			"UPDATE revocations SET next_attempt_at = @next_attempt_at, last_error = @last_error WHERE id = @id",
		),

		insertEvent: p(insertSql("events")),
		claimEvents:
			p(`UPDATE events SET next_attempt_at = @claim_until, attempts = attempts + 1
WHERE id IN (
	SELECT id FROM events WHERE delivered_at IS NULL AND next_attempt_at <= @now
	ORDER BY next_attempt_at, id LIMIT @limit
)
RETURNING *`),
		markEventDelivered: p(
			"UPDATE events SET delivered_at = @now WHERE id = @id AND delivered_at IS NULL",
		),
		rescheduleEvent: p(
			"UPDATE events SET next_attempt_at = @next_attempt_at, last_error = @last_error WHERE id = @id AND delivered_at IS NULL",
		),
		listEvents: p(
			"SELECT * FROM events ORDER BY created_at DESC, id DESC LIMIT ?",
		),
		listEventsBefore: p(
			"SELECT * FROM events WHERE created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?",
		),
		resetEvent: p(
			"UPDATE events SET delivered_at = NULL, attempts = 0, last_error = NULL, next_attempt_at = @now WHERE id = @id RETURNING *",
		),

		insertAudit: p(insertAuditSql),
		auditCounts: p(auditCountsSql(false)),
		auditCountsOfKinds: p(auditCountsSql(true)),
		pruneAudit: p(
			"DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < @before ORDER BY at, id LIMIT @limit)",
		),
		listAudit: (filters: Parameters<typeof listAuditSql>[0]) =>
			variant(listAuditSql(filters)),
		listUsers: (filters: Parameters<typeof listUsersSql>[0]) =>
			variant(listUsersSql(filters)),
		// Kept by triggers (see the migrations): counting the accounts themselves stalls at scale.
		countAccounts: p(
			"SELECT provider_config_id, status, n FROM account_counts WHERE n > 0 ORDER BY provider_config_id, status",
		),

		listSigningKeys: p(
			"SELECT * FROM signing_keys ORDER BY created_at DESC, kid DESC",
		),
		insertSigningKey: p(insertSql("signing_keys")),
		retireSigningKey: p(
			"UPDATE signing_keys SET retired_at = @now WHERE kid = @kid AND retired_at IS NULL",
		),

		encrypted: {
			connected_accounts: encrypted("connected_accounts"),
			provider_sessions: encrypted("provider_sessions"),
			oauth_flows: encrypted("oauth_flows"),
			revocations: encrypted("revocations"),
			signing_keys: encrypted("signing_keys"),
			pending_links: encrypted("pending_links"),
		} satisfies Record<EncryptedTable, unknown>,
	};
}

type Statements = ReturnType<typeof prepareAll>;

function writeEffects(s: Statements, effects: SideEffects | undefined): void {
	for (const event of effects?.events ?? [])
		s.insertEvent.run(eventParams(event));
	for (const revocation of effects?.revocations ?? []) {
		s.insertRevocation.run(revocationParams(revocation));
	}
}

/** Statements plus the multi-statement operations, each a transaction function built once. */
function prepareOps(db: Db) {
	const s = prepareAll(db);
	return {
		s,
		rotateSession: db.transaction(
			(oldId: string, next: SessionRow, now: number) => {
				if (s.markRotated.run({ id: oldId, now }).changes === 0) return false;
				s.insertSession.run(sessionParams(next));
				return true;
			},
		),
		insertAccount: db.transaction(
			(params: Params, effects: SideEffects | undefined) => {
				s.insertAccount.run(params);
				writeEffects(s, effects);
			},
		),
		updateAccount: db.transaction(
			(params: Params, effects: SideEffects | undefined) => {
				const row = s.updateAccount.get(params);
				// A lost compare-and-set writes nothing, side effects included.
				if (row !== undefined) writeEffects(s, effects);
				return row;
			},
		),
		deleteAccount: db.transaction(
			(id: string, effects: SideEffects | undefined) => {
				const row = s.deleteAccount.get(id);
				if (row !== undefined) writeEffects(s, effects);
				return row;
			},
		),
		purge: db.transaction((now: number) =>
			s.purge.reduce((n, stmt) => n + stmt.run(now).changes, 0),
		),
		appendAudit: db.transaction((rows: Params[]) => {
			for (const row of rows) s.insertAudit.run(row);
		}),
	};
}

function toConflict(error: unknown): unknown {
	if (
		error instanceof Database.SqliteError &&
		(error.code === "SQLITE_CONSTRAINT_UNIQUE" ||
			error.code === "SQLITE_CONSTRAINT_PRIMARYKEY")
	) {
		return new StoreConflictError(conflictNameFromSqlite(error.message));
	}
	return error;
}

function guard<T>(fn: () => T): T {
	try {
		return fn();
	} catch (error) {
		throw toConflict(error);
	}
}

function countOf(value: unknown): number {
	const n = asRaw(value, "count").n;
	if (typeof n !== "number") throw new Error("store: COUNT(*) is not a number");
	return n;
}

/**
 * The embedded store. better-sqlite3 is synchronous, so every method does its work before its
 * promise settles; atomicity across processes comes from single statements and `BEGIN IMMEDIATE`
 * transactions, with `busy_timeout` queueing writers.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
	const { path } = options;
	if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
	const db = new Database(path);
	db.pragma(
		`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`,
	);
	db.pragma("journal_mode = WAL");
	// WAL makes NORMAL durable against application crashes; only an OS crash can lose the last commits.
	db.pragma("synchronous = NORMAL");
	db.pragma("foreign_keys = ON");
	const checkpointer =
		path === ":memory:" ? undefined : startCheckpointer(db, path);
	db.function("tether_key_id", { deterministic: true }, (value: unknown) =>
		typeof value === "string" ? envelopeKeyId(value) : null,
	);

	// Prepared on first use, not here: the tables may not exist until `migrate()` has run.
	let prepared: ReturnType<typeof prepareOps> | undefined;
	const ops = () => {
		prepared ??= prepareOps(db);
		return prepared;
	};
	const st = (): Statements => ops().s;
	// Changes when another connection (another process, or another store on the same file) commits.
	const dataVersion = db.prepare("PRAGMA data_version").pluck();
	const accountWatchers = new Set<(accountId: string) => void>();
	const changed = (id: string) => {
		for (const watcher of accountWatchers) watcher(id);
	};

	return {
		kind: "sqlite",

		async migrate() {
			const apply = db.transaction(() => {
				db.exec(migrationsTableSql);
				const done = new Set(
					db
						.prepare("SELECT version FROM schema_migrations")
						.pluck()
						.all()
						.filter((v) => typeof v === "number"),
				);
				const record = db.prepare(
					"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				);
				for (const m of migrations) {
					if (done.has(m.version)) continue;
					db.exec(m.sql.sqlite);
					record.run(m.version, m.name, Date.now());
				}
			});
			// IMMEDIATE takes the write lock before reading what is applied, so two processes starting
			// together run the migrations once: the second waits (busy_timeout), then finds them done.
			apply.immediate();
		},

		async ping() {
			st().ping.get();
		},

		async close() {
			await checkpointer?.stop();
			db.close();
		},

		async insertUser(row) {
			guard(() => st().insertUser.run(userParams(row)));
		},
		async getUser(id) {
			const r = st().getUser.get(id);
			return r === undefined ? null : toUser(r);
		},
		async findUserByExternalId(externalId) {
			const r = st().findUserByExternalId.get(externalId);
			return r === undefined ? null : toUser(r);
		},

		async insertSession(row) {
			guard(() => st().insertSession.run(sessionParams(row)));
		},
		async findSessionByRefreshHash(hash) {
			const r = st().findSessionByRefreshHash.get(hash);
			return r === undefined ? null : toSession(r);
		},
		async getSession(id) {
			const r = st().getSession.get(id);
			return r === undefined ? null : toSession(r);
		},
		async rotateSession(oldId, next, now) {
			return guard(() => ops().rotateSession.immediate(oldId, next, now));
		},
		async revokeSessionFamily(familyId, now) {
			return st().revokeFamily.run({ family_id: familyId, now }).changes;
		},

		async insertConnectedAccount(row, effects) {
			const params = newAccountParams(row);
			guard(() =>
				effects === undefined
					? st().insertAccount.run(params)
					: ops().insertAccount.immediate(params, effects),
			);
		},
		async getConnectedAccount(id) {
			const r = st().getAccount.get(id);
			return r === undefined ? null : toConnectedAccount(r);
		},
		async findConnectedAccount(providerConfigId, providerAccountId) {
			const r = st().findAccount.get(providerConfigId, providerAccountId);
			return r === undefined ? null : toConnectedAccount(r);
		},
		async listConnectedAccounts(userId) {
			return st().listAccounts.all(userId).map(toConnectedAccount);
		},
		async updateConnectedAccount(id, expectedVersion, patch, now, effects) {
			const params: Params = {
				id,
				expected_version: expectedVersion,
				now,
				release_lease: patch.releaseLease === true ? 1 : 0,
			};
			const values = patchValues(patch);
			patchColumns.forEach(({ column }, i) => {
				const v = values[i];
				params[`set_${column}`] = v?.set ? 1 : 0;
				params[`v_${column}`] = v?.value ?? null;
			});
			const r = guard(() =>
				effects === undefined
					? st().updateAccount.get(params)
					: ops().updateAccount.immediate(params, effects),
			);
			if (r === undefined) return null;
			changed(id);
			return toConnectedAccount(r);
		},
		async acquireLease(id, owner, now, expiresAt) {
			const r = st().acquireLease.get({
				id,
				owner,
				now,
				expires_at: expiresAt,
			});
			return r === undefined ? null : toConnectedAccount(r);
		},
		async releaseLease(id, owner) {
			st().releaseLease.run({ id, owner });
		},
		async claimExpiring(input) {
			const rows = st()
				.claimExpiring.all({
					owner: input.owner,
					now: input.now,
					lease_expires_at: input.leaseExpiresAt,
					expiring_before: input.expiringBefore,
					used_after: input.usedAfter,
					limit: input.limit,
				})
				.map(toConnectedAccount);
			// RETURNING has no ORDER BY; hand out the most urgent first.
			return rows.sort(
				(a, b) => (a.accessTokenExpiresAt ?? 0) - (b.accessTokenExpiresAt ?? 0),
			);
		},
		async markUsed(ids, now) {
			if (ids.length === 0) return;
			st().markUsed.run({ ids: JSON.stringify(ids), now });
		},
		async deleteConnectedAccount(id, effects) {
			const r = guard(() => ops().deleteAccount.immediate(id, effects));
			if (r === undefined) return null;
			changed(id);
			return toConnectedAccount(r);
		},
		watchAccounts(watcher) {
			accountWatchers.add(watcher);
			// Reading data_version starts a read transaction (file locks: ~10 µs under load), so it is
			// read at most once a millisecond: another process's change shows within that.
			let readAt = Number.NEGATIVE_INFINITY;
			let last: number | null = null;
			return {
				mark: () => {
					const now = performance.now();
					if (now - readAt < dataVersionEveryMs) return last;
					readAt = now;
					try {
						last = Number(dataVersion.get());
					} catch {
						last = null; // closed
					}
					return last;
				},
				async stop() {
					accountWatchers.delete(watcher);
				},
			};
		},

		async putProviderSession(row) {
			guard(() => st().putProviderSession.run(providerSessionParams(row)));
		},
		async consumeProviderSession(input) {
			const r = st().consumeProviderSession.get({
				user_id: input.userId,
				provider_config_id: input.providerConfigId,
				session_family_id: input.sessionFamilyId,
				now: input.now,
			});
			return r === undefined ? null : toProviderSession(r);
		},
		async putLinkIntent(row) {
			guard(() => st().putLinkIntent.run(linkIntentParams(row)));
		},
		async consumeLinkIntent(idHash, now) {
			const r = st().consumeLinkIntent.get(idHash, now);
			return r === undefined ? null : toLinkIntent(r);
		},
		async putOAuthFlow(row) {
			guard(() => st().putOAuthFlow.run(oauthFlowParams(row)));
		},
		async consumeOAuthFlow(stateHash, now) {
			const r = st().consumeOAuthFlow.get(stateHash, now);
			return r === undefined ? null : toOAuthFlow(r);
		},
		async putAuthCode(row) {
			guard(() => st().putAuthCode.run(authCodeParams(row)));
		},
		async consumeAuthCode(codeHash, now) {
			const r = st().consumeAuthCode.get(codeHash, now);
			return r === undefined ? null : toAuthCode(r);
		},
		async putPendingLink(row) {
			guard(() => st().putPendingLink.run(pendingLinkParams(row)));
		},
		async consumePendingLink(codeHash, now) {
			const r = st().consumePendingLink.get(codeHash, now);
			return r === undefined ? null : toPendingLink(r);
		},
		async purgeExpired(now) {
			return ops().purge.immediate(now);
		},

		async claimRevocations(input) {
			const rows = st()
				.claimRevocations.all({
					now: input.now,
					limit: input.limit,
					claim_until: input.claimUntil,
				})
				.map(toRevocation);
			return rows.sort(
				(a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
			);
		},
		async completeRevocation(id) {
			st().completeRevocation.run(id);
		},
		async rescheduleRevocation(id, nextAttemptAt, lastError) {
			st().rescheduleRevocation.run({
				id,
				next_attempt_at: nextAttemptAt,
				last_error: lastError,
			});
		},

		async claimEvents(input) {
			const rows = st()
				.claimEvents.all({
					now: input.now,
					limit: input.limit,
					claim_until: input.claimUntil,
				})
				.map(toEvent);
			return rows.sort(
				(a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
			);
		},
		async markEventDelivered(id, now) {
			st().markEventDelivered.run({ id, now });
		},
		async rescheduleEvent(id, nextAttemptAt, lastError) {
			st().rescheduleEvent.run({
				id,
				next_attempt_at: nextAttemptAt,
				last_error: lastError,
			});
		},
		async listEvents(input) {
			const s = st();
			const rows =
				input.beforeCreatedAt === undefined
					? s.listEvents.all(input.limit)
					: s.listEventsBefore.all(input.beforeCreatedAt, input.limit);
			return rows.map(toEvent);
		},
		async resetEvent(id, now) {
			const r = st().resetEvent.get({ id, now });
			return r === undefined ? null : toEvent(r);
		},

		async appendAudit(rows) {
			if (rows.length === 0) return;
			const params = rows.map(auditParams);
			guard(() => ops().appendAudit.immediate(params));
		},
		async listAudit(input) {
			const params: Params = { limit: input.limit };
			if (input.before !== undefined) {
				params.before_at = input.before.at;
				params.before_id = input.before.id;
			}
			if (input.userId !== undefined) params.user_id = input.userId;
			if (input.provider !== undefined) params.provider = input.provider;
			if (input.kind !== undefined) params.kind = input.kind;
			return st()
				.listAudit(auditFilterShape(input))
				.all(params)
				.map(toAuditEvent);
		},
		async auditCounts(input) {
			const params: Params = {
				since: input.since,
				until: input.until ?? Number.MAX_SAFE_INTEGER,
				bucket: Math.max(1, Math.trunc(input.bucketMs)),
			};
			const s = st();
			if (input.kinds === undefined)
				return s.auditCounts.all(params).map(toAuditCount);
			params.kinds = JSON.stringify(input.kinds);
			return s.auditCountsOfKinds.all(params).map(toAuditCount);
		},
		async pruneAudit(before, limit) {
			return st().pruneAudit.run({ before, limit }).changes;
		},

		async listUsers(input) {
			const params: Params = { limit: input.limit };
			if (input.after !== undefined) {
				params.after_created_at = input.after.createdAt;
				params.after_id = input.after.id;
			}
			if (input.query !== undefined) params.query = input.query;
			return st()
				.listUsers({
					after: input.after !== undefined,
					query: input.query !== undefined,
				})
				.all(params)
				.map(toUserSummary);
		},
		async countAccounts() {
			return st().countAccounts.all().map(toAccountCount);
		},

		async listSigningKeys() {
			return st().listSigningKeys.all().map(toSigningKey);
		},
		async insertSigningKey(row) {
			guard(() => st().insertSigningKey.run(signingKeyParams(row)));
		},
		async retireSigningKey(kid, now) {
			st().retireSigningKey.run({ kid, now });
		},

		async listEncryptedNotUnderKey(table, keyId, afterId, limit) {
			const t = checkEncryptedTable(table);
			return st()
				.encrypted[t].list.all({ key_id: keyId, after_id: afterId, limit })
				.map((r) => toEncryptedRow(r, t));
		},
		async replaceEncrypted(table, id, expected, next) {
			const t = checkEncryptedTable(table);
			const params: Params = { id };
			for (const c of encryptedReplacePlan(t, expected, next)) {
				params[`check_${c.column}`] = c.check ? 1 : 0;
				params[`expected_${c.column}`] = c.expected;
				params[`set_${c.column}`] = c.set ? 1 : 0;
				params[`next_${c.column}`] = c.next;
			}
			return st().encrypted[t].replace.run(params).changes === 1;
		},
		async countEncryptedNotUnderKey(table, keyId) {
			const t = checkEncryptedTable(table);
			return countOf(st().encrypted[t].count.get({ key_id: keyId }));
		},
	};
}
