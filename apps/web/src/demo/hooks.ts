/*
 * Stand-ins for @tether/react's hooks (same names and shapes), over @tether/client's
 * subscribe/getSnapshot, until the React SDK lands; then the demo imports those instead.
 */
import type {
	AccessTokenData,
	AuthSnapshot,
	ConnectedAccountHandle,
	OAuthAccessTokenNotAvailable,
	Result,
	TetherClient,
	TetherUser,
} from "@tether/client";
import {
	createContext,
	createElement,
	type ReactNode,
	useCallback,
	useContext,
	useEffect,
	useState,
	useSyncExternalStore,
} from "react";

const ClientContext = createContext<TetherClient | null>(null);

export function TetherProvider({
	client,
	children,
}: {
	client: TetherClient;
	children?: ReactNode;
}) {
	return createElement(ClientContext.Provider, { value: client }, children);
}

export function useTetherClient(): TetherClient {
	const client = useContext(ClientContext);
	if (client === null) throw new Error("Wrap the app in <TetherProvider>.");
	return client;
}

export function useAuth(): AuthSnapshot {
	const client = useTetherClient();
	return useSyncExternalStore(client.subscribe, client.getSnapshot);
}

export function useUser(): TetherUser | null {
	return useAuth().user;
}

/** The user's accounts; `reload` re-reads them (after a link or unlink). */
export function useConnectedAccounts(user: TetherUser): {
	accounts: ConnectedAccountHandle[] | null;
	error: unknown;
	reload: () => void;
} {
	const [accounts, setAccounts] = useState<ConnectedAccountHandle[] | null>(
		null,
	);
	const [error, setError] = useState<unknown>(null);
	const [round, setRound] = useState(0);
	useEffect(() => {
		let live = true;
		void round;
		user.listConnectedAccounts().then(
			(list) => {
				if (!live) return;
				setAccounts(list);
				setError(null);
			},
			(failure: unknown) => live && setError(failure),
		);
		return () => {
			live = false;
		};
	}, [user, round]);
	return {
		accounts,
		error,
		reload: useCallback(() => setRound((n) => n + 1), []),
	};
}

export type AccessTokenResult = Result<
	AccessTokenData,
	OAuthAccessTokenNotAvailable
>;

/**
 * A token for `account`, fetched again as it nears expiry (the client caches it until 30 s
 * before), so the component re-renders with the refreshed one.
 */
export function useAccessToken(
	account: ConnectedAccountHandle,
	options: { scopes?: string[] } = {},
): { result: AccessTokenResult | null; error: unknown } {
	const scopesKey = (options.scopes ?? []).join(" ");
	const [state, setState] = useState<{
		result: AccessTokenResult | null;
		error: unknown;
	}>({ result: null, error: null });
	useEffect(() => {
		let live = true;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const scopes = scopesKey === "" ? [] : scopesKey.split(" ");
		const load = () => {
			account.getAccessToken({ scopes }).then(
				(result) => {
					if (!live) return;
					setState({ result, error: null });
					if (result.status !== "ok" || result.data.expiresAt === null) return;
					const due = Date.parse(result.data.expiresAt) - 30_000 - Date.now();
					timer = setTimeout(load, Math.max(2_000, due));
				},
				(error: unknown) => {
					if (!live) return;
					setState((previous) => ({ result: previous.result, error }));
					timer = setTimeout(load, 5_000);
				},
			);
		};
		load();
		return () => {
			live = false;
			clearTimeout(timer);
		};
	}, [account, scopesKey]);
	return state;
}
