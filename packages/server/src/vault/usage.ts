import type { Store } from "../store/index.ts";

/** How often last-use times reach the database: a hint for the proactive refresher, not state. */
const flushEveryMs = 5_000;
/**
 * Accounts written per statement. Each lands on its own page when many distinct accounts are in
 * use (measured on SQLite with a million accounts: 5,000 in one statement held the event loop for
 * about 300 ms, plus a 230 ms checkpoint), so a flush goes in slices with a turn of the event loop
 * between them: requests keep being answered while it runs.
 */
const idsPerWrite = 250;
/** Accounts remembered as written lately; beyond this the memory starts over (a write repeats). */
const maxRemembered = 100_000;

export interface UsageTracker {
	/**
	 * The account was used now. `storedAt` is the last use its row holds: within the resolution of
	 * now, nothing needs writing.
	 */
	touch(accountId: string, storedAt: number | null): void;
	flush(): Promise<void>;
	stop(): Promise<void>;
}

/**
 * Batches "this account was used" so the access-token hot path never writes to the database:
 * one `markUsed` per interval for the accounts touched in it whose stored last use is older than
 * `resolutionMs`. A busy account is written once per resolution, not once per interval, so the
 * writes follow the number of accounts in use per hour, not the request rate.
 */
export function createUsageTracker(
	store: Store,
	now: () => number,
	resolutionMs: number,
): UsageTracker {
	let pending = new Set<string>();
	/** Accounts queued since their row was read (a row kept in memory still shows the old time). */
	const recent = new Map<string, number>();
	const flush = async () => {
		if (pending.size === 0) return;
		const ids = [...pending];
		pending = new Set();
		const at = now();
		for (let from = 0; from < ids.length; from += idsPerWrite) {
			if (from > 0) await new Promise((resolve) => setImmediate(resolve));
			await store.markUsed(ids.slice(from, from + idsPerWrite), at);
		}
	};
	const timer = setInterval(() => void flush().catch(() => {}), flushEveryMs);
	timer.unref();
	return {
		touch: (accountId, storedAt) => {
			const at = now();
			if (storedAt !== null && at - storedAt < resolutionMs) return;
			const queued = recent.get(accountId);
			if (queued !== undefined && at - queued < resolutionMs) return;
			if (recent.size >= maxRemembered) recent.clear();
			recent.set(accountId, at);
			pending.add(accountId);
		},
		flush,
		async stop() {
			clearInterval(timer);
			await flush();
		},
	};
}
