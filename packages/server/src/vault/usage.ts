import type { Store } from "../store/index.ts";

/** How often last-use times reach the database: a hint for the proactive refresher, not state. */
const flushEveryMs = 5_000;

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
		await store.markUsed(ids, now());
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
