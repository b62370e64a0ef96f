import { useSyncExternalStore } from "react";
import { useTetherContext } from "./context.ts";
import { accountsKey } from "./keys.ts";
import type {
	ReactConnectedAccount,
	ReactTetherUser,
} from "./react-objects.ts";

/** `user.useConnectedAccounts()`: the user's accounts; suspends on the first load, updates after a link or unlink. */
export function useConnectedAccounts(
	user: ReactTetherUser,
): ReactConnectedAccount[] {
	const { cache } = useTetherContext();
	useSyncExternalStore(cache.subscribe, cache.getVersion, cache.getVersion);
	return cache.read(accountsKey(user.id), () =>
		user.listConnectedAccounts(),
	) as ReactConnectedAccount[];
}
