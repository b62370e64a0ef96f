import { useSyncExternalStore } from "react";
import { useTetherContext } from "./context.ts";
import { accountsKey } from "./keys.ts";
import type {
	ReactConnectedAccount,
	ReactTetherUser,
} from "./react-objects.ts";
import { useUser } from "./use-user.ts";

/** `user.useConnectedAccounts()`: the user's accounts; suspends on the first load, updates after a link or unlink. */
export function useUserConnectedAccounts(
	user: ReactTetherUser,
): ReactConnectedAccount[] {
	const { cache } = useTetherContext();
	useSyncExternalStore(cache.subscribe, cache.getVersion, cache.getVersion);
	return cache.read(accountsKey(user.id), () =>
		user.listConnectedAccounts(),
	) as ReactConnectedAccount[];
}

/**
 * The signed-in user's connected accounts: `useUser({ or: "throw" }).useConnectedAccounts()`.
 * Suspends on the first load; throws `UNAUTHENTICATED` to the error boundary when nobody is signed in.
 */
export function useConnectedAccounts(): ReactConnectedAccount[] {
	return useUser({ or: "throw" }).useConnectedAccounts();
}
