import type { TetherClient } from "@tether/client";
import { type ReactNode, useEffect, useMemo } from "react";
import { TetherContext } from "./context.ts";
import { createResourceCache, type ResourceCache } from "./resource-cache.ts";

export interface TetherProviderProps {
	client: TetherClient;
	/**
	 * The provider config id `useUser({ or: "redirect" })` signs in with (e.g. `"google"`).
	 * Without it, that hook throws for a signed-out user instead of leaving the page.
	 */
	signInProvider?: string;
	children?: ReactNode;
}

const caches = new WeakMap<TetherClient, ResourceCache>();

/** One cache per client: providers of the same client (two React roots) share what they loaded. */
function cacheFor(client: TetherClient): ResourceCache {
	let cache = caches.get(client);
	if (cache === undefined) {
		cache = createResourceCache();
		caches.set(client, cache);
	}
	return cache;
}

/** Makes a Tether client available to the hooks below it. */
export function TetherProvider({
	client,
	signInProvider,
	children,
}: TetherProviderProps) {
	const cache = cacheFor(client);
	// Accounts and tokens belong to one user: forget them when the user changes or signs out.
	useEffect(() => {
		let userId = client.getSnapshot().user?.id;
		return client.subscribe(() => {
			const next = client.getSnapshot().user?.id;
			if (next !== userId) cache.clear();
			userId = next;
		});
	}, [client, cache]);
	const value = useMemo(
		() => ({ client, cache, signInProvider }),
		[client, cache, signInProvider],
	);
	return (
		<TetherContext.Provider value={value}>{children}</TetherContext.Provider>
	);
}
