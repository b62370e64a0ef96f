import { TetherError } from "../errors.ts";
import type { SessionRow, Store } from "../store/index.ts";
import { hashToken, newId, randomToken } from "./random.ts";
import type { SigningKeys } from "./signing-keys.ts";

/** Session JWTs are short-lived; the refresh token carries the session forward. */
export const accessTokenTtlSeconds = 15 * 60;
/** A refresh token unused for this long expires; each rotation starts the clock again. */
export const refreshTokenTtlSeconds = 30 * 24 * 60 * 60;
/** How long a verified JWT's session is trusted before the database is asked again (sign-out latency). */
const liveCheckMs = 5_000;
/** Verified-token cache bound; JWT verification costs ~100 µs, a map lookup nothing. */
const maxCachedTokens = 10_000;

export interface IssuedSession {
	accessToken: string;
	accessTokenExpiresIn: number;
	refreshToken: string;
	familyId: string;
}

/** Who a session JWT says is calling. */
export interface SessionPrincipal {
	userId: string;
	sessionId: string;
	familyId: string;
}

interface CachedVerification {
	principal: SessionPrincipal;
	expiresAt: number;
	checkedAt: number;
}

const unauthenticated = () =>
	new TetherError("UNAUTHENTICATED", "Missing or invalid credentials.");

export interface Sessions {
	issue(input: {
		userId: string;
		familyId?: string;
		now: number;
	}): Promise<IssuedSession>;
	/** Rotates a refresh token. Presenting one that was already rotated revokes its whole family. */
	refresh(
		refreshToken: string,
		now: number,
	): Promise<IssuedSession & { userId: string }>;
	/** Verifies a session JWT; null when invalid, expired, or its session was revoked. */
	verify(accessToken: string, now: number): Promise<SessionPrincipal | null>;
	signOut(principal: SessionPrincipal, now: number): Promise<void>;
}

export function createSessions({
	store,
	keys,
}: {
	store: Store;
	keys: SigningKeys;
}): Sessions {
	const cache = new Map<string, CachedVerification>();

	async function mint(userId: string, familyId: string, now: number) {
		const refreshToken = randomToken();
		const row: SessionRow = {
			id: newId("ses"),
			familyId,
			userId,
			refreshTokenHash: hashToken(refreshToken),
			expiresAt: now + refreshTokenTtlSeconds * 1000,
			createdAt: now,
			rotatedAt: null,
			revokedAt: null,
		};
		const accessToken = await keys.sign(
			{ sub: userId, sid: row.id, fam: familyId },
			{ expiresInSeconds: accessTokenTtlSeconds, now },
		);
		return {
			row,
			session: {
				accessToken,
				accessTokenExpiresIn: accessTokenTtlSeconds,
				refreshToken,
				familyId,
			},
		};
	}

	async function isLive(sessionId: string, now: number): Promise<boolean> {
		const row = await store.getSession(sessionId);
		return row !== null && row.revokedAt === null && row.expiresAt > now;
	}

	return {
		async issue({ userId, familyId = newId("fam"), now }) {
			const { row, session } = await mint(userId, familyId, now);
			await store.insertSession(row);
			return session;
		},

		async refresh(refreshToken, now) {
			const current = await store.findSessionByRefreshHash(
				hashToken(refreshToken),
			);
			if (
				current === null ||
				current.revokedAt !== null ||
				current.expiresAt <= now
			)
				throw unauthenticated();
			if (current.rotatedAt !== null) {
				// RFC 9700 §4.14.2: reuse of a rotated refresh token means it leaked; end the whole family.
				await store.revokeSessionFamily(current.familyId, now);
				throw unauthenticated();
			}
			const { row, session } = await mint(
				current.userId,
				current.familyId,
				now,
			);
			if (!(await store.rotateSession(current.id, row, now))) {
				// Lost a race with a concurrent rotation of the same token: that is reuse too.
				await store.revokeSessionFamily(current.familyId, now);
				throw unauthenticated();
			}
			return { ...session, userId: current.userId };
		},

		async verify(accessToken, now) {
			const cached = cache.get(accessToken);
			if (cached !== undefined) {
				if (cached.expiresAt <= now) {
					cache.delete(accessToken);
					return null;
				}
				if (now - cached.checkedAt < liveCheckMs) return cached.principal;
				if (!(await isLive(cached.principal.sessionId, now))) {
					cache.delete(accessToken);
					return null;
				}
				cached.checkedAt = now;
				return cached.principal;
			}
			const claims = await keys.verify(accessToken, now);
			if (claims === null) return null;
			const { sub, sid, fam, exp } = claims;
			if (
				typeof sub !== "string" ||
				typeof sid !== "string" ||
				typeof fam !== "string" ||
				typeof exp !== "number"
			) {
				return null;
			}
			if (!(await isLive(sid, now))) return null;
			const principal = { userId: sub, sessionId: sid, familyId: fam };
			if (cache.size >= maxCachedTokens) {
				const oldest = cache.keys().next().value;
				if (oldest !== undefined) cache.delete(oldest);
			}
			cache.set(accessToken, {
				principal,
				expiresAt: exp * 1000,
				checkedAt: now,
			});
			return principal;
		},

		async signOut(principal, now) {
			await store.revokeSessionFamily(principal.familyId, now);
			for (const [token, entry] of cache)
				if (entry.principal.familyId === principal.familyId)
					cache.delete(token);
		},
	};
}
