import type { TetherClient } from "@tether/client";
import { createContext, useContext } from "react";
import type { ResourceCache } from "./resource-cache.ts";

/** What the hooks share under one `<TetherProvider>`. */
export interface TetherContextValue {
	client: TetherClient;
	cache: ResourceCache;
	/** The provider `useUser({ or: "redirect" })` signs in with. */
	signInProvider: string | undefined;
}

export const TetherContext = createContext<TetherContextValue | null>(null);

export function useTetherContext(): TetherContextValue {
	const value = useContext(TetherContext);
	if (value === null)
		throw new Error(
			"Tether hooks need a <TetherProvider client={…}> above them.",
		);
	return value;
}
