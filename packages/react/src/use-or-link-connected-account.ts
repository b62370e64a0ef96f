import type { GetOrLinkOptions } from "@tether/client";
import { useSyncExternalStore } from "react";
import { useTetherContext } from "./context.ts";
import type {
	ReactConnectedAccount,
	ReactTetherUser,
} from "./react-objects.ts";
import { useUser } from "./use-user.ts";

/**
 * `user.useOrLinkConnectedAccount(provider, { scopes })`: an account at `provider` carrying
 * `scopes`. When none does, it starts the link flow (redirect by default: the page leaves, and the
 * component stays suspended until it does).
 */
export function useUserOrLinkConnectedAccount(
	user: ReactTetherUser,
	provider: string,
	options: GetOrLinkOptions = {},
): ReactConnectedAccount {
	const { cache } = useTetherContext();
	useSyncExternalStore(cache.subscribe, cache.getVersion, cache.getVersion);
	const scopes = [...(options.scopes ?? [])].sort();
	return cache.read(
		`orlink:${user.id}:${encodeURIComponent(provider)}:${scopes.join(" ")}:${options.mode ?? "redirect"}`,
		() => user.getOrLinkConnectedAccount(provider, { ...options, scopes }),
	) as ReactConnectedAccount;
}

/**
 * The top-level twin of `user.useOrLinkConnectedAccount(provider, { scopes, mode })` for the
 * signed-in user. Throws `UNAUTHENTICATED` to the error boundary when nobody is signed in.
 */
export function useOrLinkConnectedAccount(
	provider: string,
	options: GetOrLinkOptions = {},
): ReactConnectedAccount {
	return useUser({ or: "throw" }).useOrLinkConnectedAccount(provider, options);
}
