import { TetherClientError } from "./errors.ts";

/**
 * Where the client keeps its session and sign-in verifier. Any object with these three methods
 * works (sync or async): `localStorage`, a cookie or native-keychain wrapper, a test's map.
 */
export interface StorageAdapter {
	getItem(key: string): string | null | Promise<string | null>;
	setItem(key: string, value: string): void | Promise<void>;
	removeItem(key: string): void | Promise<void>;
	/**
	 * Optional: calls `listener` when a key changes elsewhere (another tab), so a sign-out or a
	 * refresh there shows here at once. `null` means "everything may have changed".
	 */
	subscribe?(listener: (key: string | null) => void): () => void;
}

/**
 * Storage in memory, lost on reload. One instance shared by two clients behaves like
 * `localStorage` shared by two tabs (each write is announced to the other's `subscribe`).
 */
export function memoryStorage(): StorageAdapter {
	const items = new Map<string, string>();
	const listeners = new Set<(key: string | null) => void>();
	const announce = (key: string) => {
		for (const listener of listeners) listener(key);
	};
	return {
		getItem: (key) => items.get(key) ?? null,
		setItem(key, value) {
			items.set(key, value);
			announce(key);
		},
		removeItem(key) {
			items.delete(key);
			announce(key);
		},
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
	};
}

/**
 * `window.localStorage` (or another `Storage`), with the `storage` event wired to `subscribe`
 * so other tabs' changes arrive.
 */
export function localStorageAdapter(storage?: Storage): StorageAdapter {
	const target =
		storage ??
		(typeof globalThis.localStorage === "undefined"
			? undefined
			: globalThis.localStorage);
	if (target === undefined) {
		throw new TetherClientError(
			"INVALID_REQUEST",
			"localStorage is not available here; pass memoryStorage() or your own adapter.",
			{ details: { field: "storage" } },
		);
	}
	return {
		getItem: (key) => target.getItem(key),
		setItem: (key, value) => target.setItem(key, value),
		removeItem: (key) => target.removeItem(key),
		subscribe(listener) {
			if (typeof globalThis.addEventListener !== "function") return () => {};
			const onStorage = (event: StorageEvent) => {
				if (event.storageArea === target) listener(event.key);
			};
			globalThis.addEventListener("storage", onStorage);
			return () => globalThis.removeEventListener("storage", onStorage);
		},
	};
}

/** localStorage in a browser, memory elsewhere (Node, a worker without storage). */
export function defaultStorage(): StorageAdapter {
	try {
		if (typeof globalThis.localStorage !== "undefined")
			return localStorageAdapter(globalThis.localStorage);
	} catch {
		// Some browsers throw on access when storage is disabled.
	}
	return memoryStorage();
}
