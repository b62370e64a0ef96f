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

export interface UsageTracker {
	touch(accountId: string): void;
	flush(): Promise<void>;
	stop(): Promise<void>;
}

/**
 * Batches "this account was used" so the access-token hot path never writes to the database:
 * one `markUsed` per interval for all accounts touched in it.
 */
export function createUsageTracker(
	store: Store,
	now: () => number,
): UsageTracker {
	let pending = new Set<string>();
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
		touch: (accountId) => {
			pending.add(accountId);
		},
		flush,
		async stop() {
			clearInterval(timer);
			await flush();
		},
	};
}
