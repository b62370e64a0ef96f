import { resolve } from "node:path";
import { createPostgresStore } from "./postgres.ts";
import { createSqliteStore } from "./sqlite.ts";
import type { Store } from "./types.ts";

export { migrations } from "./migrations.ts";
export { createPostgresStore, type PostgresStoreOptions } from "./postgres.ts";
export { createSqliteStore, type SqliteStoreOptions } from "./sqlite.ts";
export {
	type AccountCount,
	type AccountStatus,
	type AccountWatch,
	type AuditCount,
	type AuditCursor,
	type AuditEventRow,
	type AuditKind,
	type AuthCodeRow,
	type ConnectedAccountPatch,
	type ConnectedAccountRow,
	type EncryptedRow,
	type EncryptedTable,
	type EventRow,
	encryptedColumns,
	type FlowKind,
	type LinkIntentRow,
	type NewAuditEvent,
	type NewConnectedAccount,
	type NewEvent,
	type NewRevocation,
	type OAuthFlowRow,
	type ProviderSessionRow,
	type RevocationRow,
	type SessionRow,
	type SideEffects,
	type SigningKeyRow,
	type Store,
	StoreConflictError,
	type UserCursor,
	type UserRow,
	type UserSummaryRow,
} from "./types.ts";
export { isDatabaseUnavailable } from "./unavailable.ts";

export interface CreateStoreOptions {
	/** PostgreSQL only: schema to use (created by `migrate()` when missing). Default: the server's search_path. */
	schema?: string;
	/** PostgreSQL only: pool size. Default 10. */
	max?: number;
}

/**
 * Opens the store a `database` setting names: `sqlite:<path>` (relative paths resolve against the
 * working directory; `sqlite::memory:` for a throwaway database) or a `postgres://` /
 * `postgresql://` URL. Call `migrate()` before use.
 */
export function createStore(
	url: string,
	options: CreateStoreOptions = {},
): Store {
	if (url.startsWith("sqlite:")) {
		const path = url.slice("sqlite:".length);
		if (path === "")
			throw new Error(
				'database "sqlite:" needs a path, e.g. sqlite:./.tether/tether.db',
			);
		return createSqliteStore({
			path: path === ":memory:" ? path : resolve(path),
		});
	}
	if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
		return createPostgresStore({ url, ...options });
	}
	// Name only the scheme: the rest of a database URL may hold a password.
	const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
	throw new Error(
		scheme === undefined
			? 'database setting has no scheme; expected "sqlite:<path>" or "postgres://…"'
			: `unsupported database scheme "${scheme}:"; expected "sqlite:<path>" or "postgres://…"`,
	);
}
