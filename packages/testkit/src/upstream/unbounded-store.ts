import type { Adapter } from "oidc-provider";
import MemoryAdapter from "oidc-provider/lib/adapters/memory_adapter.js";

/**
 * oidc-provider's default in-memory store is an LRU of 1000 entries shared by every model. Each
 * sign-in and each refresh adds several (tokens, grant index, session), so with a few hundred
 * accounts refreshing 2-second tokens it forgets grants within seconds, and a refresh token the
 * upstream itself issued comes back `invalid_grant` ("grant request is invalid"). A real provider
 * does not forget grants; this store keeps every entry until it expires.
 */
class UnboundedStore {
	readonly #entries = new Map<
		string,
		{ value: unknown; expiry: number | undefined }
	>();
	#writes = 0;

	get(key: string): unknown {
		const entry = this.#entries.get(key);
		if (entry === undefined) return undefined;
		if (entry.expiry !== undefined && entry.expiry <= Date.now()) {
			this.#entries.delete(key);
			return undefined;
		}
		return entry.value;
	}

	set(key: string, value: unknown, options: { maxAge?: number } = {}): this {
		const { maxAge } = options;
		this.#entries.set(key, {
			value,
			expiry:
				typeof maxAge === "number" && maxAge !== Number.POSITIVE_INFINITY
					? Date.now() + maxAge
					: undefined,
		});
		// Expired entries are otherwise dropped only when read: sweep now and then.
		if (++this.#writes % 10_000 === 0) {
			const now = Date.now();
			for (const [k, entry] of this.#entries)
				if (entry.expiry !== undefined && entry.expiry <= now)
					this.#entries.delete(k);
		}
		return this;
	}

	has(key: string): boolean {
		return this.get(key) !== undefined;
	}

	delete(key: string): boolean {
		return this.#entries.delete(key);
	}

	clear(): void {
		this.#entries.clear();
	}
}

/** An adapter factory for one provider instance: its own store, nothing evicted early. */
export function unboundedMemoryAdapter(
	clockTolerance = 0,
): (model: string) => Adapter {
	const store = new UnboundedStore();
	return (model) => new MemoryAdapter(model, store, clockTolerance);
}
