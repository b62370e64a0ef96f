import type { GetOrLinkOptions } from "@tether/client";
import { useSyncExternalStore } from "react";
import { useTetherContext } from "./context.ts";
import type {
	ReactConnectedAccount,
	ReactTetherUser,
} from "./react-objects.ts";

/**
 * `user.useOrLinkConnectedAccount(provider, { scopes })`: an account at `provider` carrying
 * `scopes`. When none does, it starts the link flow (redirect by default: the page leaves, and the
 * component stays suspended until it does).
 */
export function useOrLinkConnectedAccount(
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
