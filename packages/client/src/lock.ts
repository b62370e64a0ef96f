import { isRecord } from "./parse.ts";
import { randomId } from "./pkce.ts";
import type { StorageAdapter } from "./storage.ts";

/** The part of the Web Locks API the client uses (`navigator.locks` satisfies it). */
export interface LockManagerLike {
	request<T>(name: string, callback: (lock: unknown) => T): Promise<Awaited<T>>;
}

/** The Web Locks API when the platform has it. */
export function platformLocks(): LockManagerLike | null {
	if (typeof navigator === "undefined") return null;
	const locks: unknown = navigator.locks;
	return typeof locks === "object" && locks !== null && "request" in locks
		? navigator.locks
		: null;
}

/** How long a storage lock is trusted before it counts as abandoned (a tab closed mid-refresh). */
const storageLockTtlMs = 10_000;
/** Time for a racing tab's write to land before reading the lock back. */
const settleMs = 30;

const sleep = (ms: number) =>
	new Promise<void>((resolve) => setTimeout(resolve, ms));

function holderOf(raw: string | null): { owner: string; until: number } | null {
	if (raw === null) return null;
	try {
		const value: unknown = JSON.parse(raw);
		if (
			isRecord(value) &&
			typeof value.owner === "string" &&
			typeof value.until === "number"
		)
			return { owner: value.owner, until: value.until };
	} catch {
		// Garbage in the lock key is no lock.
	}
	return null;
}

/**
 * Runs `task` while holding a lock shared by every tab: the Web Locks API when there is one,
 * else a mutex in the shared storage (write-then-read-back, with a TTL so a closed tab cannot
 * hold it forever). The storage mutex is best effort; callers re-read state after taking it.
 */
export async function withLock<T>(
	input: {
		name: string;
		locks: LockManagerLike | null;
		storage: StorageAdapter;
	},
	task: () => Promise<T>,
): Promise<T> {
	if (input.locks !== null) return input.locks.request(input.name, task);
	const owner = randomId();
	const key = input.name;
	for (;;) {
		const held = holderOf(await input.storage.getItem(key));
		if (held === null || held.until < Date.now()) {
			await input.storage.setItem(
				key,
				JSON.stringify({ owner, until: Date.now() + storageLockTtlMs }),
			);
			await sleep(settleMs);
			if (holderOf(await input.storage.getItem(key))?.owner === owner) break;
		}
		await sleep(40 + Math.random() * 40);
	}
	try {
		return await task();
	} finally {
		if (holderOf(await input.storage.getItem(key))?.owner === owner)
			await input.storage.removeItem(key);
	}
}
