import { useSyncExternalStore } from "react";
import { useTetherContext } from "./context.ts";
import { accountKey } from "./keys.ts";
import type {
	ReactConnectedAccount,
	ReactTetherUser,
} from "./react-objects.ts";
import { useUser } from "./use-user.ts";

/** `user.useConnectedAccount({ provider, providerAccountId })`: that account, or null. */
export function useUserConnectedAccount(
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

/**
 * The signed-in user's account `{ provider, providerAccountId }`, or null: the top-level twin of
 * `user.useConnectedAccount`. Throws `UNAUTHENTICATED` to the error boundary when nobody is signed in.
 */
export function useConnectedAccount(input: {
	provider: string;
	providerAccountId: string;
}): ReactConnectedAccount | null {
	return useUser({ or: "throw" }).useConnectedAccount(input);
}
