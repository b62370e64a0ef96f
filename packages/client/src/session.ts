import type { Session, User } from "@tether/api";
import { TetherClientError } from "./errors.ts";
import { type FetchLike, sendJson } from "./http.ts";
import { type LockManagerLike, withLock } from "./lock.ts";
import { isRecord, parseSession, parseUser } from "./parse.ts";
import type { StorageAdapter } from "./storage.ts";

/** A Tether session as the client keeps it. */
export interface StoredSession {
	accessToken: string;
	/** Epoch milliseconds. */
	accessTokenExpiresAt: number;
	refreshToken: string;
	user: User;
}

export interface SessionManagerOptions {
	baseUrl: string;
	fetch: FetchLike;
	storage: StorageAdapter;
	/** Storage keys start with this. */
	storageKey: string;
	locks: LockManagerLike | null;
	now: () => number;
	/** Refresh when the session JWT expires within this many milliseconds. */
	marginMs: number;
	/** Refresh on a timer before expiry, not only when a call needs the token. */
	autoRefresh: boolean;
	/** Every change: signed in, refreshed, signed out (here or in another tab). */
	onChange: (session: StoredSession | null) => void;
}

export interface SessionManager {
	/** Resolves once storage has been read. */
	ready: Promise<void>;
	current(): StoredSession | null;
	/** A session JWT good for at least the margin (refreshed first if needed), or null when signed out. */
	accessToken(): Promise<string | null>;
	/**
	 * Refreshes under the cross-tab lock. `rejected` is a JWT the server just refused: unless
	 * storage already holds a different one, the session is refreshed even if it looks fresh.
	 */
	refresh(rejected?: string): Promise<StoredSession | null>;
	adopt(session: Session): Promise<StoredSession>;
	signOut(): Promise<void>;
	destroy(): void;
}

function decode(raw: string | null): StoredSession | null {
	if (raw === null) return null;
	try {
		const value: unknown = JSON.parse(raw);
		if (
			isRecord(value) &&
			typeof value.accessToken === "string" &&
			typeof value.accessTokenExpiresAt === "number" &&
			typeof value.refreshToken === "string"
		)
			return {
				accessToken: value.accessToken,
				accessTokenExpiresAt: value.accessTokenExpiresAt,
				refreshToken: value.refreshToken,
				user: parseUser(value.user),
			};
	} catch {
		// Unreadable (tampered, or an older format): treated as signed out.
	}
	return null;
}

/** How long to wait before retrying a background refresh that failed on the network. */
const retryMs = 15_000;

/**
 * The session: kept in storage (shared by tabs), refreshed before it expires, and refreshed
 * once across tabs: the refresh runs under a lock and re-reads storage first, because Tether
 * revokes the whole session when a rotated refresh token is presented again.
 */
export function createSessionManager(
	options: SessionManagerOptions,
): SessionManager {
	const key = `${options.storageKey}.session`;
	const lockName = `${options.storageKey}.refresh-lock`;
	let session: StoredSession | null = null;
	let inflight: Promise<StoredSession | null> | null = null;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let destroyed = false;
	let loaded = false;

	const read = async () => decode(await options.storage.getItem(key));
	const write = async (next: StoredSession | null) => {
		if (next === null) await options.storage.removeItem(key);
		else await options.storage.setItem(key, JSON.stringify(next));
	};
	const fresh = (s: StoredSession) =>
		s.accessTokenExpiresAt - options.now() > options.marginMs;

	function schedule(): void {
		if (timer !== undefined) clearTimeout(timer);
		timer = undefined;
		if (!options.autoRefresh || destroyed || session === null) return;
		const delay = Math.max(
			0,
			session.accessTokenExpiresAt - options.marginMs - options.now(),
		);
		start(delay);
	}

	function start(delay: number): void {
		timer = setTimeout(() => {
			timer = undefined;
			refresh().catch(() => {
				if (!destroyed && session !== null) start(retryMs);
			});
		}, delay);
		// Node: a pending refresh must not keep the process alive.
		if (typeof timer === "object" && timer !== null && "unref" in timer)
			timer.unref();
	}

	function set(next: StoredSession | null): void {
		const same =
			next === session ||
			(next !== null &&
				session !== null &&
				next.accessToken === session.accessToken &&
				JSON.stringify(next.user) === JSON.stringify(session.user));
		session = next;
		if (same && loaded) return;
		loaded = true;
		schedule();
		options.onChange(next);
	}

	const unsubscribe = options.storage.subscribe?.((changed) => {
		if (changed !== null && changed !== key) return;
		read().then(set, () => {});
	});

	const ready = read().then(set, () => set(null));

	async function postRefresh(refreshToken: string): Promise<Session> {
		const response = await sendJson({
			baseUrl: options.baseUrl,
			fetch: options.fetch,
			method: "POST",
			path: "/v1/token",
			body: { refreshToken },
		});
		return parseSession(response.body);
	}

	const toStored = (s: Session): StoredSession => ({
		accessToken: s.accessToken,
		accessTokenExpiresAt: options.now() + s.accessTokenExpiresIn * 1000,
		refreshToken: s.refreshToken,
		user: s.user,
	});

	function refresh(rejected?: string): Promise<StoredSession | null> {
		inflight ??= withLock(
			{ name: lockName, locks: options.locks, storage: options.storage },
			async () => {
				// Another tab may have refreshed (or signed out) while this one waited for the lock.
				const stored = await read();
				if (stored === null) {
					set(null);
					return null;
				}
				const othersWork =
					rejected === undefined
						? fresh(stored)
						: stored.accessToken !== rejected;
				if (othersWork) {
					set(stored);
					return stored;
				}
				let next: StoredSession;
				try {
					next = toStored(await postRefresh(stored.refreshToken));
				} catch (error) {
					if (
						error instanceof TetherClientError &&
						error.code === "UNAUTHENTICATED"
					) {
						await write(null);
						set(null);
						return null;
					}
					throw error;
				}
				await write(next);
				set(next);
				return next;
			},
		).finally(() => {
			inflight = null;
		});
		return inflight;
	}

	async function accessToken(): Promise<string | null> {
		await ready;
		const s = session;
		if (s === null) return null;
		if (fresh(s)) return s.accessToken;
		return (await refresh())?.accessToken ?? null;
	}

	return {
		ready,
		current: () => session,
		accessToken,
		refresh,
		async adopt(s) {
			await ready;
			const next = toStored(s);
			await write(next);
			set(next);
			return next;
		},
		async signOut() {
			let token: string | undefined;
			try {
				// A live JWT, so the server ends the session rather than refusing a stale one.
				token = (await accessToken()) ?? undefined;
			} catch {
				token = session?.accessToken;
			}
			try {
				if (token !== undefined)
					await sendJson({
						baseUrl: options.baseUrl,
						fetch: options.fetch,
						method: "POST",
						path: "/v1/signout",
						token,
					});
			} catch {
				// Signed out here regardless; an expired or revoked session is already over there.
			} finally {
				await write(null);
				set(null);
			}
		},
		destroy() {
			destroyed = true;
			if (timer !== undefined) clearTimeout(timer);
			unsubscribe?.();
		},
	};
}
