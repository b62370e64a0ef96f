import { newTimeOrderedId } from "../auth/random.ts";
import type { Logger } from "../logger.ts";
import type { AuditKind, NewAuditEvent, Store } from "../store/index.ts";

/** One thing the vault did, as it reports it. Names users and accounts; never a token or secret. */
export interface AuditEntry {
	kind: AuditKind;
	userId?: string | null;
	provider?: string | null;
	providerAccountId?: string | null;
	/** A short, low-cardinality qualifier (a refresh failure's kind, a read's route). */
	reason?: string | null;
	detail?: Record<string, unknown>;
}

/** Where the vault reports what it did. `record` returns at once and never throws. */
export interface AuditSink {
	record(entry: AuditEntry): void;
}

export interface AuditRecorder extends AuditSink {
	/** Writes everything buffered, open token-read rows included. */
	flush(): Promise<void>;
	/** Stops the timers and flushes. */
	stop(): Promise<void>;
	/** Entries lost so far: the buffer overflowed while the store kept failing. */
	dropped(): number;
}

/** Buffered entries reach the store this often, or as soon as this many are waiting. */
const flushEveryMs = 1_000;
const flushAtRows = 100;
/**
 * Reads of one account within this window become one row with a count: a busy account is read
 * thousands of times a second, and one row per read would make the log mostly reads and the
 * database mostly log.
 */
const readWindowMs = 10_000;
/** More open read rows than this (that many accounts read in one window) are written at once. */
const maxOpenReads = 1_000;
/** Beyond this many waiting rows (the store is down), new entries are dropped and counted. */
const maxBufferedRows = 10_000;
/**
 * Rows per write. With many accounts read, every read is a row of its own (thousands a second):
 * a batch is written in transactions of this size with a turn of the event loop between them, so
 * SQLite's synchronous writes never hold requests for long.
 */
const writeBatch = 100;
/** Rows older than this are pruned, hourly, a bounded batch at a time. */
const retentionMs = 30 * 24 * 60 * 60 * 1000;
const pruneEveryMs = 60 * 60 * 1000;
const pruneBatch = 1_000;
const logEveryMs = 60_000;

/** Detail keys that could hold a secret are never stored, whoever passes them. */
const secretKey = /token$|secret|password|verifier|^code$|authorization/i;

function safeDetail(detail: Record<string, unknown> | undefined) {
	if (detail === undefined) return {};
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(detail))
		if (!secretKey.test(key) && value !== undefined) out[key] = value;
	return out;
}

/**
 * Batches the audit log so no request waits on it: `record` only touches memory, and a timer (or
 * a full buffer, on the next turn of the event loop) writes batches. Token reads are coalesced per
 * account. Every entry is also handed to `observe` at once (metrics), whether or not it is stored.
 * A crash loses what was still buffered: about a second of entries, a window of reads.
 */
export function createAuditRecorder(input: {
	store: Store;
	now: () => number;
	logger: Logger;
	observe?: (entry: AuditEntry) => void;
	/** Prune old rows hourly (off in tests that drive time by hand). Default true. */
	prune?: boolean;
}): AuditRecorder {
	const { store, now, logger } = input;
	let rows: NewAuditEvent[] = [];
	const reads = new Map<string, NewAuditEvent>();
	let dropped = 0;
	let scheduled: "no" | "due" | "all" = "no";
	let writing: Promise<void> = Promise.resolve();
	let lastLog = Number.NEGATIVE_INFINITY;

	const waiting = () => rows.length + reads.size;

	async function write(all: boolean): Promise<void> {
		const at = now();
		const batch = rows;
		rows = [];
		for (const [key, row] of reads) {
			if (all || at - row.at >= readWindowMs) {
				batch.push(row);
				reads.delete(key);
			}
		}
		for (let i = 0; i < batch.length; i += writeBatch) {
			if (i > 0) await new Promise((resolve) => setImmediate(resolve));
			const chunk = batch.slice(i, i + writeBatch);
			try {
				await store.appendAudit(chunk);
			} catch (error) {
				// Kept for the next pass while there is room: a database blip loses nothing.
				const rest = batch.slice(i);
				const room = Math.max(0, maxBufferedRows - waiting());
				rows = [...rest.slice(0, room), ...rows];
				dropped += Math.max(0, rest.length - room);
				if (at - lastLog >= logEveryMs) {
					lastLog = at;
					logger.warn(
						{ err: error instanceof Error ? error.message : String(error) },
						"audit log write failed; will retry",
					);
				}
				return;
			}
		}
	}

	function flush(all: boolean): Promise<void> {
		// One write at a time, in order; `write` handles store failures itself.
		writing = writing.then(() => write(all)).catch(() => {});
		return writing;
	}

	function soon(all: boolean) {
		if (scheduled === "all" || (scheduled === "due" && !all)) return;
		const first = scheduled === "no";
		scheduled = all ? "all" : "due";
		if (!first) return;
		// Never on the caller's stack: SQLite writes synchronously, and the caller is a request.
		setImmediate(() => {
			const everything = scheduled === "all";
			scheduled = "no";
			void flush(everything);
		});
	}

	const timer = setInterval(() => void flush(false), flushEveryMs);
	timer.unref();

	let pruneTimer: NodeJS.Timeout | undefined;
	let pruning: Promise<void> | undefined;
	async function prune() {
		const before = now() - retentionMs;
		for (let pass = 0; pass < 100; pass++) {
			const removed = await store.pruneAudit(before, pruneBatch);
			if (removed < pruneBatch) return;
			// Let requests through between batches.
			await new Promise((resolve) => setImmediate(resolve));
		}
	}
	if (input.prune ?? true) {
		pruneTimer = setInterval(() => {
			pruning ??= prune()
				.catch((error: unknown) =>
					logger.warn(
						{ err: error instanceof Error ? error.message : String(error) },
						"audit log pruning failed",
					),
				)
				.finally(() => {
					pruning = undefined;
				});
		}, pruneEveryMs);
		pruneTimer.unref();
	}

	return {
		record(entry) {
			try {
				input.observe?.(entry);
			} catch {
				// Metrics must never break the vault.
			}
			// The hot path (a read of an account already read in this window) is one Map lookup.
			const key =
				entry.kind === "token.read"
					? `${entry.userId}\u0000${entry.provider}\u0000${entry.providerAccountId}\u0000${entry.reason}`
					: undefined;
			if (key !== undefined) {
				const open = reads.get(key);
				if (open !== undefined) {
					open.count++;
					return;
				}
			}
			if (waiting() >= maxBufferedRows) {
				dropped++;
				return;
			}
			const at = now();
			const row: NewAuditEvent = {
				id: newTimeOrderedId("aud", at),
				at,
				kind: entry.kind,
				userId: entry.userId ?? null,
				providerConfigId: entry.provider ?? null,
				providerAccountId: entry.providerAccountId ?? null,
				reason: entry.reason ?? null,
				count: 1,
				detail: safeDetail(entry.detail),
			};
			if (key !== undefined) {
				reads.set(key, row);
				if (reads.size >= maxOpenReads) soon(true);
				return;
			}
			rows.push(row);
			if (rows.length >= flushAtRows) soon(false);
		},
		flush: () => flush(true),
		async stop() {
			clearInterval(timer);
			if (pruneTimer !== undefined) clearInterval(pruneTimer);
			await pruning;
			await flush(true);
		},
		dropped: () => dropped,
	};
}
