import { type TetherClient, TetherClientError } from "@tether/client";
import { useSyncExternalStore } from "react";
import { useTetherContext } from "./context.ts";
import { type ReactTetherUser, reactUser } from "./react-objects.ts";

export interface UseUserOptions {
	/**
	 * What a signed-out visitor gets: `"redirect"` starts sign-in with `<TetherProvider
	 * signInProvider>` (the component suspends while the page leaves), `"throw"` throws
	 * `UNAUTHENTICATED` to the error boundary, `"return-null"` (default) returns null.
	 */
	or?: "redirect" | "throw" | "return-null";
}

const settling = new WeakMap<TetherClient, Promise<void>>();
const leaving = new WeakMap<TetherClient, Promise<never>>();

/** Resolves once the client knows whether someone is signed in (Suspense waits on it). */
function settled(client: TetherClient): Promise<void> {
	let promise = settling.get(client);
	if (promise === undefined) {
		promise = new Promise<void>((resolve) => {
			const stop = client.subscribe(() => {
				if (client.getSnapshot().status === "loading") return;
				stop();
				resolve();
			});
			if (client.getSnapshot().status !== "loading") {
				stop();
				resolve();
			}
		});
		settling.set(client, promise);
	}
	return promise;
}

/** The signed-in user, with the reference's `use…` methods; suspends while the session loads. */
export function useUser(options: { or: "redirect" | "throw" }): ReactTetherUser;
export function useUser(options?: UseUserOptions): ReactTetherUser | null;
export function useUser(options: UseUserOptions = {}): ReactTetherUser | null {
	const { client, cache, signInProvider } = useTetherContext();
	const snapshot = useSyncExternalStore(
		client.subscribe,
		client.getSnapshot,
		client.getSnapshot,
	);
	if (snapshot.status === "loading") throw settled(client);
	if (snapshot.status === "signed-in") return reactUser(snapshot.user, cache);
	if (
		options.or === "throw" ||
		(options.or === "redirect" && signInProvider === undefined)
	)
		throw new TetherClientError(
			"UNAUTHENTICATED",
			options.or === "redirect"
				? "Not signed in, and <TetherProvider> names no signInProvider to redirect to."
				: "Not signed in.",
		);
	if (options.or === "redirect" && signInProvider !== undefined) {
		let away = leaving.get(client);
		if (away === undefined) {
			away = client
				.signInWithRedirect({ provider: signInProvider })
				.then(() => new Promise<never>(() => {}));
			leaving.set(client, away);
		}
		throw away;
	}
	return null;
}
