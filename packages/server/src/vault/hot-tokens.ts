import type { AccessTokenResponse } from "@tether/api";
import type {
	AccountWatch,
	ConnectedAccountRow,
	Store,
} from "../store/index.ts";

/**
 * The access tokens this process handed out lately, decrypted, so the next request for a busy
 * account costs neither a database read nor a decrypt. Not a time-to-live cache: an entry goes as
 * soon as the account changes.
 * - This process's own writes to an account (refresh, unlink, reconnect, reauth) drop its entry
 *   as they happen, and a row read before such a write is never stored after it.
 * - Other processes' writes are seen through the store's `mark()`, within about a millisecond:
 *   SQLite's `PRAGMA data_version` moves on any other connection's commit (read at most once a
 *   millisecond); on PostgreSQL the trigger's NOTIFY drops the entry as it arrives, and a lost
 *   LISTEN connection turns the cache off until it is back. An entry is served only while the
 *   mark it was read under still holds.
 * Only what the database path would have answered `200` is kept: an entry leaves at the start of
 * its refresh margin, and a request it cannot answer (another user, missing scopes) goes to the
 * database. Refresh tokens are never kept here. At most `maxEntries` entries, oldest out first.
 */
export interface HotTokens {
	/** The entry for an account, when one is held and its mark still holds. */
	get(provider: string, providerAccountId: string): HotToken | undefined;
	/** Taken before reading the row a later `put` stores. */
	ticket(): Ticket;
	/** Keeps what the database path served, unless anything moved since `ticket`. */
	put(ticket: Ticket, entry: Omit<HotToken, "mark">): void;
	/** Counts a token handed out, from memory or not (for metrics). */
	count(fromMemory: boolean): void;
	/** Tokens handed out from memory and from the database so far, and the entries held now. */
	stats(): { hits: number; misses: number; entries: number };
	stop(): Promise<void>;
}

export interface HotToken {
	row: ConnectedAccountRow;
	response: AccessTokenResponse;
	/** Served until then (epoch ms): the start of the refresh margin. */
	freshUntil: number;
	mark: number;
}

export interface Ticket {
	mark: number | null;
	writes: number;
}

export function createHotTokens(store: Store, maxEntries: number): HotTokens {
	// Off: no entries, and no watch (on PostgreSQL, no LISTEN connection).
	if (maxEntries === 0)
		return {
			get: () => undefined,
			ticket: () => ({ mark: null, writes: 0 }),
			put: () => {},
			count: () => {},
			stats: () => ({ hits: 0, misses: 0, entries: 0 }),
			stop: async () => {},
		};
	const entries = new Map<string, HotToken>();
	/** Account id → key in `entries`. */
	const keys = new Map<string, string>();
	/** Every change heard of, by this process or from others: a `put` across one is refused. */
	let writes = 0;
	let hits = 0;
	let misses = 0;
	const keyOf = (provider: string, providerAccountId: string) =>
		`${provider}\n${providerAccountId}`;

	function forget(key: string) {
		const entry = entries.get(key);
		if (entry === undefined) return;
		entries.delete(key);
		keys.delete(entry.row.id);
	}

	const watch: AccountWatch = store.watchAccounts((accountId) => {
		writes++;
		const key = keys.get(accountId);
		if (key !== undefined) forget(key);
	});

	return {
		get(provider, providerAccountId) {
			const key = keyOf(provider, providerAccountId);
			const entry = entries.get(key);
			if (entry === undefined) return undefined;
			if (entry.mark !== watch.mark()) {
				forget(key);
				return undefined;
			}
			return entry;
		},
		ticket() {
			return { mark: watch.mark(), writes };
		},
		put(ticket, entry) {
			if (ticket.mark === null || ticket.writes !== writes) return;
			const key = keyOf(
				entry.row.providerConfigId,
				entry.row.providerAccountId,
			);
			forget(key);
			if (entries.size >= maxEntries) {
				const oldest = entries.keys().next();
				if (!oldest.done) forget(oldest.value);
			}
			entries.set(key, { ...entry, mark: ticket.mark });
			keys.set(entry.row.id, key);
		},
		count(fromMemory) {
			if (fromMemory) hits++;
			else misses++;
		},
		stats: () => ({ hits, misses, entries: entries.size }),
		stop: () => watch.stop(),
	};
}
