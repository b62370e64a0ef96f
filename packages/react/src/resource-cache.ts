/**
 * The React layer's memory of what it asked Tether: one entry per key (a user's account list, an
 * account's token for a scope set), read by hooks through Suspense and refreshed in place. A
 * `version` that changes on every settle lets `useSyncExternalStore` re-render the readers.
 */
interface Entry {
	promise: Promise<void> | undefined;
	settled:
		| { ok: true; value: unknown }
		| { ok: false; error: unknown }
		| undefined;
	timer: ReturnType<typeof setTimeout> | undefined;
}

export interface ReadOptions<T> {
	/** When to load again in the background (epoch ms), keeping the current value meanwhile. */
	refreshAt?: (value: T) => number | null;
	/**
	 * Until when the value stays usable (epoch ms). A background load that fails before then keeps
	 * the value and tries again a few seconds later, so a short outage during a token's renewal does
	 * not replace a token that still works with an error. Without it, a failed reload is thrown.
	 */
	usableUntil?: (value: T) => number | null;
}

/** How long a failed background reload waits before trying again. */
const retryMs = 5000;

export interface ResourceCache {
	subscribe(listener: () => void): () => void;
	getVersion(): number;
	/** The value for `key`: loads it first (suspending), and throws what the load threw. */
	read<T>(key: string, load: () => Promise<T>, options?: ReadOptions<T>): T;
	/** Loads every entry under `prefix` again; readers keep the old value until the new one lands. */
	refresh(prefix: string): void;
	/** Forgets everything (sign-out, another user). */
	clear(): void;
}

export function createResourceCache(
	now: () => number = Date.now,
): ResourceCache {
	const entries = new Map<string, Entry>();
	const loaders = new Map<string, () => Promise<unknown>>();
	const refreshers = new Map<string, ReadOptions<unknown>["refreshAt"]>();
	const lifetimes = new Map<string, ReadOptions<unknown>["usableUntil"]>();
	const listeners = new Set<() => void>();
	let version = 0;

	const notify = () => {
		version++;
		for (const listener of [...listeners]) listener();
	};

	function load(key: string, entry: Entry): Promise<void> {
		const loader = loaders.get(key);
		if (loader === undefined) return Promise.resolve();
		const promise = loader().then(
			(value) => {
				if (entries.get(key) !== entry) return;
				entry.settled = { ok: true, value };
				schedule(key, entry, value);
			},
			(error: unknown) => {
				if (entries.get(key) !== entry) return;
				const held = entry.settled;
				const until = held?.ok ? lifetimes.get(key)?.(held.value) : null;
				if (until != null && now() + retryMs < until) {
					retry(key, entry);
					return;
				}
				entry.settled = { ok: false, error };
			},
		);
		entry.promise = promise.finally(() => {
			if (entry.promise === promise) entry.promise = undefined;
			notify();
		});
		return entry.promise;
	}

	function schedule(key: string, entry: Entry, value: unknown) {
		clearTimeout(entry.timer);
		const at = refreshers.get(key)?.(value) ?? null;
		if (at === null) return;
		// At least a second apart, so a provider that hands out nearly-expired tokens is not hammered.
		const delay = Math.max(1000, at - now());
		entry.timer = setTimeout(() => {
			if (entries.get(key) === entry) void load(key, entry);
		}, delay);
	}

	function retry(key: string, entry: Entry) {
		clearTimeout(entry.timer);
		entry.timer = setTimeout(() => {
			if (entries.get(key) === entry) void load(key, entry);
		}, retryMs);
	}

	return {
		subscribe(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
		getVersion: () => version,
		read<T>(
			key: string,
			loader: () => Promise<T>,
			options: ReadOptions<T> = {},
		): T {
			loaders.set(key, loader);
			if (options.refreshAt !== undefined)
				refreshers.set(
					key,
					options.refreshAt as ReadOptions<unknown>["refreshAt"],
				);
			if (options.usableUntil !== undefined)
				lifetimes.set(
					key,
					options.usableUntil as ReadOptions<unknown>["usableUntil"],
				);
			let entry = entries.get(key);
			if (entry === undefined) {
				entry = { promise: undefined, settled: undefined, timer: undefined };
				entries.set(key, entry);
				void load(key, entry);
			}
			const { settled } = entry;
			if (settled === undefined) throw entry.promise;
			if (!settled.ok) {
				// The next render (an error boundary's retry) loads again.
				clearTimeout(entry.timer);
				entries.delete(key);
				throw settled.error;
			}
			return settled.value as T;
		},
		refresh(prefix) {
			for (const [key, entry] of entries)
				if (key.startsWith(prefix)) void load(key, entry);
		},
		clear() {
			for (const entry of entries.values()) clearTimeout(entry.timer);
			entries.clear();
			notify();
		},
	};
}
