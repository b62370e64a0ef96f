import { useSyncExternalStore } from "react";
import { useTetherContext } from "./context.ts";
import { accountKey } from "./keys.ts";
import type {
	ReactConnectedAccount,
	ReactTetherUser,
} from "./react-objects.ts";

/** `user.useConnectedAccount({ provider, providerAccountId })`: that account, or null. */
export function useConnectedAccount(
	user: ReactTetherUser,
	input: { provider: string; providerAccountId: string },
): ReactConnectedAccount | null {
	const { cache } = useTetherContext();
	useSyncExternalStore(cache.subscribe, cache.getVersion, cache.getVersion);
	return cache.read(
		`account:${accountKey(user.id, input.provider, input.providerAccountId)}`,
		() => user.getConnectedAccount(input),
	) as ReactConnectedAccount | null;
}
