/**
 * The storage contract, once, run against every implementation. A new implementation passes this
 * suite or it is not a Tether store.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPostgresStore } from "./postgres.ts";
import { createSqliteStore } from "./sqlite.ts";
import {
	type EncryptedTable,
	encryptedColumns,
	type LinkIntentRow,
	type NewAuditEvent,
	type NewConnectedAccount,
	type NewEvent,
	type NewRevocation,
	type OAuthFlowRow,
	type ProviderSessionRow,
	type SessionRow,
	type SigningKeyRow,
	type Store,
	StoreConflictError,
	type UserRow,
} from "./types.ts";

interface Harness {
	/** Another store over this test's database, not yet migrated. */
	open(): Store;
	/** Connections this test's stores hold at the server (PostgreSQL only). */
	connections?: () => Promise<number>;
	/** The database file, when there is one. */
	file?: string;
	/** Ends the connections that LISTEN for account changes (PostgreSQL only). */
	killAccountListeners?: () => Promise<number>;
	/** Deletes a user with plain SQL (cascading to its accounts), where a second connection can. */
	deleteUser?: (id: string) => Promise<void>;
	cleanup(): Promise<void>;
}

interface Target {
	name: string;
	/** Whether two `open()` calls see the same data (a file or a schema; not `:memory:`). */
	shared: boolean;
	/** A fresh, empty database for one test. */
	setup(): Promise<Harness>;
}

const T0 = 1_700_000_000_000;
const MIN = 60_000;

let seq = 0;
/** Same-length lowercase ids sort the same under SQLite's BINARY and any PostgreSQL collation. */
function id(prefix: string): string {
	seq += 1;
	return `${prefix}${String(seq).padStart(5, "0")}`;
}

function env(keyId: string, tag = "x"): string {
	return `v1.${keyId}.iv${tag}.ct${tag}`;
}

function user(overrides: Partial<UserRow> = {}): UserRow {
	return {
		id: id("usr"),
		externalId: null,
		email: "ada@example.test",
		displayName: "Ada",
		createdAt: T0,
		updatedAt: T0,
		...overrides,
	};
}

function account(
	userId: string,
	overrides: Partial<NewConnectedAccount> = {},
): NewConnectedAccount {
	return {
		id: id("acc"),
		userId,
		providerConfigId: "google",
		providerAccountId: id("sub"),
		email: "ada@example.test",
		displayName: "Ada",
		scopes: ["openid", "email"],
		tokenType: "Bearer",
		accessTokenEnc: null,
		refreshTokenEnc: null,
		idTokenEnc: null,
		accessTokenExpiresAt: T0 + 60 * MIN,
		refreshTokenExpiresAt: null,
		status: "active",
		lastRefreshError: null,
		lastRefreshAt: null,
		lastUsedAt: null,
		createdAt: T0,
		updatedAt: T0,
		...overrides,
	};
}

function session(
	userId: string,
	overrides: Partial<SessionRow> = {},
): SessionRow {
	return {
		id: id("ses"),
		familyId: "fam",
		userId,
		refreshTokenHash: id("hash"),
		expiresAt: T0 + 60 * MIN,
		createdAt: T0,
		rotatedAt: null,
		revokedAt: null,
		...overrides,
	};
}

function revocation(overrides: Partial<NewRevocation> = {}): NewRevocation {
	return {
		id: id("rev"),
		providerConfigId: "google",
		tokenEnc: env("k1"),
		tokenTypeHint: "refresh_token",
		nextAttemptAt: T0,
		createdAt: T0,
		...overrides,
	};
}

function event(overrides: Partial<NewEvent> = {}): NewEvent {
	return {
		id: id("evt"),
		type: "account.linked",
		payload: { accountId: "a", nested: { ok: true } },
		createdAt: T0,
		...overrides,
	};
}

function audit(overrides: Partial<NewAuditEvent> = {}): NewAuditEvent {
	return {
		id: id("aud"),
		at: T0,
		kind: "token.refresh",
		userId: "usr-a",
		providerConfigId: "google",
		providerAccountId: "sub-a",
		reason: null,
		count: 1,
		detail: { forced: false, nested: { n: 1 } },
		...overrides,
	};
}

function providerSession(
	userId: string,
	connectedAccountId: string,
	overrides: Partial<ProviderSessionRow> = {},
): ProviderSessionRow {
	return {
		id: id("pss"),
		userId,
		sessionFamilyId: "fam",
		providerConfigId: "google",
		connectedAccountId,
		payloadEnc: env("k1"),
		expiresAt: T0 + 10 * MIN,
		createdAt: T0,
		...overrides,
	};
}

function linkIntent(
	userId: string,
	overrides: Partial<LinkIntentRow> = {},
): LinkIntentRow {
	return {
		idHash: id("lnk"),
		userId,
		providerConfigId: "github",
		scopes: ["repo", "read:user"],
		redirectTo: "http://127.0.0.1:5173/done",
		providerAccountId: null,
		expiresAt: T0 + 10 * MIN,
		createdAt: T0,
		...overrides,
	};
}

function oauthFlow(overrides: Partial<OAuthFlowRow> = {}): OAuthFlowRow {
	return {
		stateHash: id("flw"),
		kind: "signin",
		providerConfigId: "google",
		userId: null,
		redirectTo: "http://127.0.0.1:5173/",
		scopes: ["openid"],
		codeVerifierEnc: env("k1"),
		nonce: "n-1",
		browserBindingHash: "bind",
		appCodeChallenge: null,
		loginHint: null,
		providerAccountId: null,
		expiresAt: T0 + 10 * MIN,
		createdAt: T0,
		...overrides,
	};
}

function signingKey(overrides: Partial<SigningKeyRow> = {}): SigningKeyRow {
	return {
		kid: id("kid"),
		alg: "ES256",
		publicJwk: { kty: "EC", crv: "P-256", x: "x", y: "y" },
		privateJwkEnc: env("k1"),
		createdAt: T0,
		retiredAt: null,
		...overrides,
	};
}

async function conflictName(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof StoreConflictError) return error.constraint;
		throw error;
	}
	throw new Error("expected a StoreConflictError");
}

function times<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
	return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}

function storeContract(target: Target): void {
	describe(`${target.name} store`, () => {
		let harness: Harness;
		let store: Store;
		const opened: Store[] = [];
		const open = (): Store => {
			const s = harness.open();
			opened.push(s);
			return s;
		};

		beforeEach(async () => {
			harness = await target.setup();
			store = open();
			await store.migrate();
		});

		afterEach(async () => {
			for (const s of opened.splice(0)) await s.close();
			await harness.cleanup();
		});

		async function seedUser(
			overrides: Partial<UserRow> = {},
		): Promise<UserRow> {
			const row = user(overrides);
			await store.insertUser(row);
			return row;
		}

		async function seedAccount(overrides: Partial<NewConnectedAccount> = {}) {
			const owner = overrides.userId ?? (await seedUser()).id;
			const row = account(owner, overrides);
			await store.insertConnectedAccount(row);
			const stored = await store.getConnectedAccount(row.id);
			if (!stored) throw new Error("seeded account is missing");
			return stored;
		}

		describe("lifecycle", () => {
			it("answers ping and keeps data across a second migrate", async () => {
				await store.ping();
				const u = await seedUser();
				await store.migrate();
				await store.migrate();
				expect(await store.getUser(u.id)).toEqual(u);
			});

			it.skipIf(!target.shared)(
				"lets two stores migrate one fresh database at once",
				async () => {
					const fresh = await target.setup();
					const a = fresh.open();
					const b = fresh.open();
					try {
						await Promise.all([a.migrate(), b.migrate()]);
						const u = user();
						await a.insertUser(u);
						expect(await b.getUser(u.id)).toEqual(u);
						await b.migrate();
					} finally {
						await a.close();
						await b.close();
						await fresh.cleanup();
					}
				},
			);

			it.skipIf(!target.shared)(
				"shares data between stores over one database",
				async () => {
					const other = open();
					const u = await seedUser();
					expect(await other.getUser(u.id)).toEqual(u);
				},
			);
		});

		describe("users", () => {
			it("round-trips and finds by external id", async () => {
				const u = await seedUser({
					externalId: "ext-1",
					email: null,
					displayName: null,
				});
				expect(await store.getUser(u.id)).toEqual(u);
				expect(await store.findUserByExternalId("ext-1")).toEqual(u);
				expect(await store.getUser("usr-missing")).toBeNull();
				expect(await store.findUserByExternalId("ext-missing")).toBeNull();
			});

			it("reports duplicate ids and external ids as conflicts", async () => {
				const u = await seedUser({ externalId: "ext-dup" });
				expect(
					await conflictName(store.insertUser({ ...u, externalId: null })),
				).toBe("user_id");
				expect(
					await conflictName(store.insertUser(user({ externalId: "ext-dup" }))),
				).toBe("user_external_id");
				// Many users without an external id are fine.
				await store.insertUser(user());
				await store.insertUser(user());
			});
		});

		describe("sessions", () => {
			it("round-trips by id and by refresh hash; hashes are unique", async () => {
				const u = await seedUser();
				const s = session(u.id);
				await store.insertSession(s);
				expect(await store.getSession(s.id)).toEqual(s);
				expect(
					await store.findSessionByRefreshHash(s.refreshTokenHash),
				).toEqual(s);
				expect(await store.findSessionByRefreshHash("nope")).toBeNull();
				expect(
					await conflictName(
						store.insertSession(
							session(u.id, { refreshTokenHash: s.refreshTokenHash }),
						),
					),
				).toBe("session_refresh_token_hash");
			});

			it("rotates once: the second rotation of the same session writes nothing", async () => {
				const u = await seedUser();
				const old = session(u.id);
				await store.insertSession(old);
				const next = session(u.id);
				expect(await store.rotateSession(old.id, next, T0 + 1)).toBe(true);
				expect((await store.getSession(old.id))?.rotatedAt).toBe(T0 + 1);
				expect(await store.getSession(next.id)).toEqual(next);

				const again = session(u.id);
				expect(await store.rotateSession(old.id, again, T0 + 2)).toBe(false);
				expect(await store.getSession(again.id)).toBeNull();
				expect((await store.getSession(old.id))?.rotatedAt).toBe(T0 + 1);
			});

			it("does not rotate a revoked or missing session", async () => {
				const u = await seedUser();
				const s = session(u.id, { familyId: "fam-r" });
				await store.insertSession(s);
				await store.revokeSessionFamily("fam-r", T0 + 1);
				const next = session(u.id);
				expect(await store.rotateSession(s.id, next, T0 + 2)).toBe(false);
				expect(await store.rotateSession("ses-missing", next, T0 + 2)).toBe(
					false,
				);
				expect(await store.getSession(next.id)).toBeNull();
			});

			it("lets exactly one of many racing rotations win", async () => {
				const u = await seedUser();
				const old = session(u.id);
				await store.insertSession(old);
				const nexts = Array.from({ length: 20 }, () => session(u.id));
				const results = await Promise.all(
					nexts.map((n, i) => store.rotateSession(old.id, n, T0 + i)),
				);
				expect(results.filter(Boolean)).toHaveLength(1);
				const present = await Promise.all(
					nexts.map((n) => store.getSession(n.id)),
				);
				expect(present.filter((s) => s !== null)).toHaveLength(1);
			});

			it("rolls a rotation back when the new session cannot be written", async () => {
				const u = await seedUser();
				const old = session(u.id);
				const taken = session(u.id);
				await store.insertSession(old);
				await store.insertSession(taken);
				const clash = session(u.id, {
					refreshTokenHash: taken.refreshTokenHash,
				});
				expect(
					await conflictName(store.rotateSession(old.id, clash, T0 + 1)),
				).toBe("session_refresh_token_hash");
				expect((await store.getSession(old.id))?.rotatedAt).toBeNull();
			});

			it("revokes a whole family and counts what it revoked", async () => {
				const u = await seedUser();
				const a = session(u.id, { familyId: "fam-a" });
				const b = session(u.id, { familyId: "fam-a" });
				const other = session(u.id, { familyId: "fam-b" });
				for (const s of [a, b, other]) await store.insertSession(s);
				await store.rotateSession(
					a.id,
					session(u.id, { familyId: "fam-a" }),
					T0 + 1,
				);
				expect(await store.revokeSessionFamily("fam-a", T0 + 5)).toBe(3);
				expect((await store.getSession(b.id))?.revokedAt).toBe(T0 + 5);
				expect(await store.revokeSessionFamily("fam-a", T0 + 6)).toBe(0);
				expect((await store.getSession(b.id))?.revokedAt).toBe(T0 + 5);
				expect((await store.getSession(other.id))?.revokedAt).toBeNull();
			});
		});

		describe("connected accounts", () => {
			it("round-trips every field and starts unleased", async () => {
				const u = await seedUser();
				const row = account(u.id, {
					scopes: ["openid", "https://www.googleapis.com/auth/drive"],
					accessTokenEnc: env("k1", "a"),
					refreshTokenEnc: env("k1", "r"),
					refreshTokenHashes: ["h2", "h1"],
					idTokenEnc: env("k1", "i"),
					refreshTokenExpiresAt: T0 + 1000 * MIN,
					status: "reauth_required",
					lastRefreshError: {
						class: "revoked",
						providerError: "invalid_grant",
						status: 400,
					},
					lastRefreshAt: T0 - 1,
					lastUsedAt: T0 - 2,
				});
				await store.insertConnectedAccount(row);
				const expected = {
					...row,
					version: 1,
					leaseOwner: null,
					leaseExpiresAt: null,
				};
				expect(await store.getConnectedAccount(row.id)).toEqual(expected);
				expect(
					await store.findConnectedAccount(
						row.providerConfigId,
						row.providerAccountId,
					),
				).toEqual(expected);
				expect(await store.getConnectedAccount("acc-missing")).toBeNull();
				expect(await store.findConnectedAccount("google", "nobody")).toBeNull();
			});

			it("lists a user's accounts oldest first", async () => {
				const u = await seedUser();
				const later = await seedAccount({ userId: u.id, createdAt: T0 + 5 });
				const earlier = await seedAccount({
					userId: u.id,
					providerConfigId: "github",
					createdAt: T0,
				});
				await seedAccount();
				const list = await store.listConnectedAccounts(u.id);
				expect(list.map((a) => a.id)).toEqual([earlier.id, later.id]);
				expect(await store.listConnectedAccounts("usr-none")).toEqual([]);
			});

			it("rejects a second account with the same provider identity, writing none of its effects", async () => {
				const first = await seedAccount();
				const dup = account(first.userId, {
					providerConfigId: first.providerConfigId,
					providerAccountId: first.providerAccountId,
				});
				const ev = event();
				expect(
					await conflictName(
						store.insertConnectedAccount(dup, { events: [ev] }),
					),
				).toBe("connected_account_identity");
				expect(await store.getConnectedAccount(dup.id)).toBeNull();
				expect(await store.listEvents({ limit: 10 })).toEqual([]);
				expect(
					await conflictName(
						store.insertConnectedAccount(
							account(first.userId, { id: first.id }),
						),
					),
				).toBe("connected_account_id");
				// Same subject at another provider config is another account.
				await seedAccount({
					providerConfigId: "google-work",
					providerAccountId: first.providerAccountId,
				});
			});

			it("writes insert side effects in the same transaction", async () => {
				const u = await seedUser();
				const row = account(u.id);
				const ev = event({ createdAt: T0 + 1 });
				await store.insertConnectedAccount(row, { events: [ev] });
				const events = await store.listEvents({ limit: 10 });
				expect(events).toEqual([
					{
						...ev,
						attempts: 0,
						nextAttemptAt: ev.createdAt,
						deliveredAt: null,
						lastError: null,
					},
				]);
			});

			it("compare-and-sets: applies a patch at the expected version, refuses a stale one", async () => {
				const acc = await seedAccount({ accessTokenEnc: env("k1", "old") });
				const updated = await store.updateConnectedAccount(
					acc.id,
					acc.version,
					{
						accessTokenEnc: env("k1", "new"),
						accessTokenExpiresAt: T0 + 120 * MIN,
						scopes: ["openid", "email", "profile"],
						lastRefreshError: null,
						lastRefreshAt: T0 + 7,
						email: null,
					},
					T0 + 7,
				);
				expect(updated).toEqual({
					...acc,
					accessTokenEnc: env("k1", "new"),
					accessTokenExpiresAt: T0 + 120 * MIN,
					scopes: ["openid", "email", "profile"],
					lastRefreshAt: T0 + 7,
					email: null,
					version: acc.version + 1,
					updatedAt: T0 + 7,
				});
				expect(await store.getConnectedAccount(acc.id)).toEqual(updated);

				const stale = await store.updateConnectedAccount(
					acc.id,
					acc.version,
					{ status: "reauth_required" },
					T0 + 8,
				);
				expect(stale).toBeNull();
				expect(await store.getConnectedAccount(acc.id)).toEqual(updated);
				expect(
					await store.updateConnectedAccount("acc-missing", 1, {}, T0),
				).toBeNull();
			});

			it("an empty patch still bumps the version; releaseLease clears the lease in the same write", async () => {
				const acc = await seedAccount();
				await store.acquireLease(acc.id, "worker-1", T0, T0 + MIN);
				const bumped = await store.updateConnectedAccount(
					acc.id,
					acc.version,
					{},
					T0 + 1,
				);
				expect(bumped?.version).toBe(acc.version + 1);
				expect(bumped?.leaseOwner).toBe("worker-1");
				const released = await store.updateConnectedAccount(
					acc.id,
					acc.version + 1,
					{
						releaseLease: true,
						status: "reauth_required",
						lastRefreshError: { class: "revoked" },
					},
					T0 + 2,
				);
				expect(released).toMatchObject({
					leaseOwner: null,
					leaseExpiresAt: null,
					status: "reauth_required",
					lastRefreshError: { class: "revoked" },
					version: acc.version + 2,
				});
			});

			it("writes update side effects only when the compare-and-set wins", async () => {
				const acc = await seedAccount();
				const lost = await store.updateConnectedAccount(
					acc.id,
					acc.version + 5,
					{},
					T0,
					{
						events: [event()],
						revocations: [revocation()],
					},
				);
				expect(lost).toBeNull();
				expect(await store.listEvents({ limit: 10 })).toEqual([]);
				expect(
					await store.claimRevocations({
						now: T0 + MIN,
						limit: 10,
						claimUntil: T0 + 2 * MIN,
					}),
				).toEqual([]);

				const ev = event();
				const rev = revocation();
				const won = await store.updateConnectedAccount(
					acc.id,
					acc.version,
					{},
					T0,
					{
						events: [ev],
						revocations: [rev],
					},
				);
				expect(won).not.toBeNull();
				expect(
					(await store.listEvents({ limit: 10 })).map((e) => e.id),
				).toEqual([ev.id]);
				const claimed = await store.claimRevocations({
					now: T0 + MIN,
					limit: 10,
					claimUntil: T0 + 2 * MIN,
				});
				expect(claimed.map((r) => r.id)).toEqual([rev.id]);
			});

			it("lets exactly one of 20 racing compare-and-sets win", async () => {
				const acc = await seedAccount();
				const results = await times(20, (i) =>
					store.updateConnectedAccount(
						acc.id,
						acc.version,
						{ tokenType: `t${i}` },
						T0 + i,
					),
				);
				const winners = results.filter((r) => r !== null);
				expect(winners).toHaveLength(1);
				const final = await store.getConnectedAccount(acc.id);
				expect(final?.version).toBe(acc.version + 1);
				expect(final?.tokenType).toBe(winners[0]?.tokenType);
				if (harness.connections)
					expect(await harness.connections()).toBeGreaterThan(1);
			});

			it.skipIf(!target.shared)(
				"arbitrates compare-and-set across two stores",
				async () => {
					const other = open();
					const acc = await seedAccount();
					const results = await Promise.all([
						...Array.from({ length: 10 }, () =>
							store.updateConnectedAccount(acc.id, acc.version, {}, T0),
						),
						...Array.from({ length: 10 }, () =>
							other.updateConnectedAccount(acc.id, acc.version, {}, T0),
						),
					]);
					expect(results.filter((r) => r !== null)).toHaveLength(1);
				},
			);

			it("leases: acquire, contend, re-acquire by owner, expire, release", async () => {
				const acc = await seedAccount();
				const mine = await store.acquireLease(acc.id, "w1", T0, T0 + MIN);
				expect(mine).toMatchObject({
					leaseOwner: "w1",
					leaseExpiresAt: T0 + MIN,
					version: acc.version,
				});
				expect(
					await store.acquireLease(acc.id, "w2", T0 + 1, T0 + 2 * MIN),
				).toBeNull();
				const extended = await store.acquireLease(
					acc.id,
					"w1",
					T0 + 2,
					T0 + 3 * MIN,
				);
				expect(extended?.leaseExpiresAt).toBe(T0 + 3 * MIN);

				// Someone else's release is a no-op.
				await store.releaseLease(acc.id, "w2");
				expect((await store.getConnectedAccount(acc.id))?.leaseOwner).toBe(
					"w1",
				);

				// Past its expiry the lease is anyone's.
				const taken = await store.acquireLease(
					acc.id,
					"w2",
					T0 + 3 * MIN,
					T0 + 4 * MIN,
				);
				expect(taken).toMatchObject({
					leaseOwner: "w2",
					leaseExpiresAt: T0 + 4 * MIN,
				});
				expect(
					await store.acquireLease(
						acc.id,
						"w1",
						T0 + 3 * MIN + 1,
						T0 + 5 * MIN,
					),
				).toBeNull();

				await store.releaseLease(acc.id, "w2");
				const free = await store.getConnectedAccount(acc.id);
				expect(free).toMatchObject({
					leaseOwner: null,
					leaseExpiresAt: null,
					version: acc.version,
				});
				expect(
					await store.acquireLease(
						acc.id,
						"w1",
						T0 + 3 * MIN + 2,
						T0 + 6 * MIN,
					),
				).not.toBeNull();
				expect(
					await store.acquireLease("acc-missing", "w1", T0, T0 + MIN),
				).toBeNull();
			});

			it("gives a free lease to exactly one of 20 racing owners", async () => {
				const acc = await seedAccount();
				const results = await times(20, (i) =>
					store.acquireLease(acc.id, `w${i}`, T0, T0 + MIN),
				);
				const winners = results.filter((r) => r !== null);
				expect(winners).toHaveLength(1);
				expect((await store.getConnectedAccount(acc.id))?.leaseOwner).toBe(
					winners[0]?.leaseOwner,
				);
			});

			it("claims expiring, recently used, unleased active accounts, most urgent first", async () => {
				const now = T0;
				const base = {
					accessTokenExpiresAt: now + 2 * MIN,
					lastUsedAt: now - MIN,
				};
				const due = await seedAccount({
					...base,
					accessTokenExpiresAt: now + 3 * MIN,
				});
				const dueSooner = await seedAccount({
					...base,
					accessTokenExpiresAt: now + MIN,
				});
				const idle = await seedAccount({ ...base, lastUsedAt: now - 60 * MIN });
				const neverUsed = await seedAccount({ ...base, lastUsedAt: null });
				const fresh = await seedAccount({
					...base,
					accessTokenExpiresAt: now + 60 * MIN,
				});
				const noExpiry = await seedAccount({
					...base,
					accessTokenExpiresAt: null,
				});
				const reauth = await seedAccount({
					...base,
					status: "reauth_required",
				});
				const leasedByOther = await seedAccount(base);
				await store.acquireLease(leasedByOther.id, "other", now, now + MIN);
				const staleLease = await seedAccount(base);
				await store.acquireLease(
					staleLease.id,
					"other",
					now - 2 * MIN,
					now - MIN,
				);
				const leasedByMe = await seedAccount(base);
				await store.acquireLease(leasedByMe.id, "me", now, now + MIN);

				const claimed = await store.claimExpiring({
					expiringBefore: now + 5 * MIN,
					usedAfter: now - 10 * MIN,
					limit: 10,
					owner: "me",
					now,
					leaseExpiresAt: now + 2 * MIN,
				});
				expect(new Set(claimed.map((a) => a.id))).toEqual(
					new Set([due.id, dueSooner.id, staleLease.id, leasedByMe.id]),
				);
				expect(claimed[0]?.id).toBe(dueSooner.id);
				for (const a of claimed) {
					expect(a).toMatchObject({
						leaseOwner: "me",
						leaseExpiresAt: now + 2 * MIN,
					});
				}
				for (const skipped of [idle, neverUsed, fresh, noExpiry, reauth]) {
					expect(
						(await store.getConnectedAccount(skipped.id))?.leaseOwner,
					).toBeNull();
				}
				expect(
					(await store.getConnectedAccount(leasedByOther.id))?.leaseOwner,
				).toBe("other");

				// Held by "me" now, so another refresher gets nothing until the leases run out.
				const input = {
					expiringBefore: now + 5 * MIN,
					usedAfter: now - 10 * MIN,
					limit: 10,
					owner: "you",
					now: now + 1,
					leaseExpiresAt: now + 3 * MIN,
				};
				expect(await store.claimExpiring(input)).toEqual([]);
				const later = await store.claimExpiring({
					...input,
					now: now + 2 * MIN,
				});
				expect(later.length).toBe(5);
			});

			it("respects the claim limit and never hands one account to two racing refreshers", async () => {
				const now = T0;
				const ids: string[] = [];
				for (let i = 0; i < 12; i++) {
					const a = await seedAccount({
						accessTokenExpiresAt: now + i,
						lastUsedAt: now - 1,
					});
					ids.push(a.id);
				}
				const batches = await times(6, (i) =>
					store.claimExpiring({
						expiringBefore: now + MIN,
						usedAfter: now - MIN,
						limit: 3,
						owner: `r${i}`,
						now,
						leaseExpiresAt: now + MIN,
					}),
				);
				for (const b of batches) expect(b.length).toBeLessThanOrEqual(3);
				const all = batches.flat().map((a) => a.id);
				expect(new Set(all).size).toBe(all.length);
				expect(new Set(all)).toEqual(new Set(ids));
			});

			it("marks use without touching the version, never moving backwards", async () => {
				const a = await seedAccount();
				const b = await seedAccount();
				await store.markUsed([a.id, b.id, "acc-missing"], T0 + 10);
				await store.markUsed([a.id], T0 + 5);
				await store.markUsed([], T0 + 20);
				const ra = await store.getConnectedAccount(a.id);
				expect(ra).toMatchObject({
					lastUsedAt: T0 + 10,
					version: a.version,
					updatedAt: a.updatedAt,
				});
				expect((await store.getConnectedAccount(b.id))?.lastUsedAt).toBe(
					T0 + 10,
				);
			});

			it("deletes an account with its provider sessions and queues its side effects atomically", async () => {
				const acc = await seedAccount({ refreshTokenEnc: env("k1", "r") });
				await store.putProviderSession(providerSession(acc.userId, acc.id));
				const rev = revocation({ tokenEnc: env("k1", "r") });
				const ev = event({ type: "account.unlinked" });
				const deleted = await store.deleteConnectedAccount(acc.id, {
					revocations: [rev],
					events: [ev],
				});
				expect(deleted).toEqual(acc);
				expect(await store.getConnectedAccount(acc.id)).toBeNull();
				expect(
					await store.consumeProviderSession({
						userId: acc.userId,
						providerConfigId: acc.providerConfigId,
						sessionFamilyId: "fam",
						now: T0,
					}),
				).toBeNull();
				const claimed = await store.claimRevocations({
					now: T0,
					limit: 10,
					claimUntil: T0 + MIN,
				});
				expect(claimed).toEqual([
					{ ...rev, attempts: 1, nextAttemptAt: T0 + MIN, lastError: null },
				]);
				expect(
					(await store.listEvents({ limit: 10 })).map((e) => e.id),
				).toEqual([ev.id]);

				expect(
					await store.deleteConnectedAccount(acc.id, { events: [event()] }),
				).toBeNull();
				expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
			});

			it("keeps the account when its side effects cannot be written", async () => {
				const acc = await seedAccount();
				const rev = revocation();
				await store.insertConnectedAccount(account(acc.userId), {
					revocations: [rev],
				});
				expect(
					await conflictName(
						store.deleteConnectedAccount(acc.id, { revocations: [rev] }),
					),
				).toBe("revocation_id");
				expect(await store.getConnectedAccount(acc.id)).toEqual(acc);
			});
		});

		describe("account watch", () => {
			async function until<T>(
				read: () => T,
				ok: (value: T) => boolean,
			): Promise<T> {
				const giveUpAt = Date.now() + 5_000;
				for (;;) {
					const value = read();
					if (ok(value) || Date.now() > giveUpAt) return value;
					await new Promise((resolve) => setTimeout(resolve, 10));
				}
			}

			it("reports its own new versions and deletes, not leases, use or a lost compare-and-set", async () => {
				const heard: string[] = [];
				const watch = store.watchAccounts((accountId) => heard.push(accountId));
				try {
					const a = await seedAccount();
					const b = await seedAccount();
					expect(heard).toEqual([]);
					await store.acquireLease(a.id, "p1", T0, T0 + MIN);
					await store.releaseLease(a.id, "p1");
					await store.markUsed([a.id, b.id], T0 + 1);
					expect(
						await store.updateConnectedAccount(a.id, a.version + 7, {}, T0),
					).toBeNull();
					expect(heard).toEqual([]);
					await store.updateConnectedAccount(
						a.id,
						a.version,
						{ status: "reauth_required" },
						T0,
					);
					// Heard before the call returns; PostgreSQL's trigger may also echo it back later.
					expect(heard).toContain(a.id);
					await store.deleteConnectedAccount(b.id);
					expect(heard).toContain(b.id);
					await store.deleteConnectedAccount(b.id);
					expect(new Set(heard)).toEqual(new Set([a.id, b.id]));
				} finally {
					await watch.stop();
				}
				const after = heard.length;
				const c = await seedAccount();
				await store.deleteConnectedAccount(c.id);
				expect(heard).toHaveLength(after);
			});

			// PostgreSQL only: SQLite has no connection to lose.
			if (target.name === "postgres")
				it("a lost LISTEN connection: no mark until a new one listens, under a new mark", async () => {
					const watch = store.watchAccounts(() => {});
					try {
						const first = await until(
							() => watch.mark(),
							(mark) => mark !== null,
						);
						expect(first).not.toBeNull();
						expect(await harness.killAccountListeners?.()).toBe(1);
						expect(
							await until(
								() => watch.mark(),
								(mark) => mark === null,
							),
						).toBeNull();
						const next = await until(
							() => watch.mark(),
							(mark) => mark !== null,
						);
						expect(next).not.toBeNull();
						expect(next).not.toBe(first);
					} finally {
						await watch.stop();
					}
				});

			it.skipIf(!target.shared)(
				"sees another process's change: its mark moves or the account is reported",
				async () => {
					const heard: string[] = [];
					const watch = store.watchAccounts((accountId) =>
						heard.push(accountId),
					);
					const other = open();
					try {
						const a = await seedAccount();
						const before = await until(
							() => watch.mark(),
							(mark) => mark !== null,
						);
						expect(before).not.toBeNull();
						heard.length = 0;
						await other.updateConnectedAccount(
							a.id,
							a.version,
							{ status: "reauth_required" },
							T0,
						);
						const seen = await until(
							() => heard.includes(a.id) || watch.mark() !== before,
							(yes) => yes,
						);
						expect(seen).toBe(true);
					} finally {
						await watch.stop();
					}
				},
			);
		});

		describe("one-time records", () => {
			it("consumes a provider session once, for its user, provider and session family", async () => {
				const acc = await seedAccount();
				const ps = providerSession(acc.userId, acc.id);
				await store.putProviderSession(ps);
				const base = {
					userId: acc.userId,
					providerConfigId: "google",
					sessionFamilyId: "fam",
					now: T0,
				};
				expect(
					await store.consumeProviderSession({
						...base,
						sessionFamilyId: "fam-other",
					}),
				).toBeNull();
				expect(
					await store.consumeProviderSession({
						...base,
						sessionFamilyId: null,
					}),
				).toBeNull();
				expect(
					await store.consumeProviderSession({
						...base,
						providerConfigId: "github",
					}),
				).toBeNull();
				expect(
					await store.consumeProviderSession({ ...base, userId: "usr-other" }),
				).toBeNull();
				expect(await store.consumeProviderSession(base)).toEqual(ps);
				expect(await store.consumeProviderSession(base)).toBeNull();
			});

			it("matches a provider session without a family only when asked for none, newest first", async () => {
				const acc = await seedAccount();
				const older = providerSession(acc.userId, acc.id, {
					sessionFamilyId: null,
					createdAt: T0,
				});
				const newer = providerSession(acc.userId, acc.id, {
					sessionFamilyId: null,
					createdAt: T0 + 1,
				});
				await store.putProviderSession(older);
				await store.putProviderSession(newer);
				const input = {
					userId: acc.userId,
					providerConfigId: "google",
					sessionFamilyId: null,
					now: T0,
				};
				expect(
					await store.consumeProviderSession({
						...input,
						sessionFamilyId: "fam",
					}),
				).toBeNull();
				expect(await store.consumeProviderSession(input)).toEqual(newer);
				expect(await store.consumeProviderSession(input)).toEqual(older);
				expect(await store.consumeProviderSession(input)).toBeNull();
			});

			it("yields null for expired records of every kind", async () => {
				const acc = await seedAccount();
				const ps = providerSession(acc.userId, acc.id, { expiresAt: T0 });
				const li = linkIntent(acc.userId, { expiresAt: T0 });
				const fl = oauthFlow({ expiresAt: T0 });
				const code = {
					codeHash: id("code"),
					userId: acc.userId,
					sessionFamilyId: "fam",
					appCodeChallenge: null,
					expiresAt: T0,
					createdAt: T0 - 1,
				};
				await store.putProviderSession(ps);
				await store.putLinkIntent(li);
				await store.putOAuthFlow(fl);
				await store.putAuthCode(code);
				expect(
					await store.consumeProviderSession({
						userId: acc.userId,
						providerConfigId: "google",
						sessionFamilyId: "fam",
						now: T0,
					}),
				).toBeNull();
				expect(await store.consumeLinkIntent(li.idHash, T0)).toBeNull();
				expect(await store.consumeOAuthFlow(fl.stateHash, T0)).toBeNull();
				expect(await store.consumeAuthCode(code.codeHash, T0)).toBeNull();
				// One millisecond earlier they were still good.
				expect(await store.consumeLinkIntent(li.idHash, T0 - 1)).toEqual(li);
				expect(await store.consumeOAuthFlow(fl.stateHash, T0 - 1)).toEqual(fl);
				expect(await store.consumeAuthCode(code.codeHash, T0 - 1)).toEqual(
					code,
				);
			});

			it("round-trips link intents, OAuth flows and auth codes, each readable once", async () => {
				const u = await seedUser();
				const li = linkIntent(u.id, { providerAccountId: "sub-1" });
				const fl = oauthFlow({
					kind: "link",
					userId: u.id,
					nonce: null,
					appCodeChallenge: "chal",
					loginHint: "ada@example.test",
					providerAccountId: "sub-1",
				});
				const code = {
					codeHash: id("code"),
					userId: u.id,
					sessionFamilyId: "fam",
					appCodeChallenge: "chal",
					expiresAt: T0 + MIN,
					createdAt: T0,
				};
				await store.putLinkIntent(li);
				await store.putOAuthFlow(fl);
				await store.putAuthCode(code);
				expect(await conflictName(store.putLinkIntent(li))).toBe(
					"link_intent_id",
				);
				expect(await conflictName(store.putOAuthFlow(fl))).toBe(
					"oauth_flow_state",
				);
				expect(await conflictName(store.putAuthCode(code))).toBe("auth_code");
				expect(await store.consumeLinkIntent(li.idHash, T0)).toEqual(li);
				expect(await store.consumeLinkIntent(li.idHash, T0)).toBeNull();
				expect(await store.consumeOAuthFlow(fl.stateHash, T0)).toEqual(fl);
				expect(await store.consumeOAuthFlow(fl.stateHash, T0)).toBeNull();
				expect(await store.consumeAuthCode(code.codeHash, T0)).toEqual(code);
				expect(await store.consumeAuthCode(code.codeHash, T0)).toBeNull();
			});

			it("hands each one-time record to exactly one of 20 racing consumers", async () => {
				const acc = await seedAccount();
				const ps = providerSession(acc.userId, acc.id);
				const li = linkIntent(acc.userId);
				const fl = oauthFlow();
				const code = {
					codeHash: id("code"),
					userId: acc.userId,
					sessionFamilyId: "fam",
					appCodeChallenge: null,
					expiresAt: T0 + MIN,
					createdAt: T0,
				};
				await store.putProviderSession(ps);
				await store.putLinkIntent(li);
				await store.putOAuthFlow(fl);
				await store.putAuthCode(code);
				const winners = async (results: Promise<unknown[]>) =>
					(await results).filter((r) => r !== null).length;
				expect(
					await winners(
						times(20, () =>
							store.consumeProviderSession({
								userId: acc.userId,
								providerConfigId: "google",
								sessionFamilyId: "fam",
								now: T0,
							}),
						),
					),
				).toBe(1);
				expect(
					await winners(
						times(20, () => store.consumeLinkIntent(li.idHash, T0)),
					),
				).toBe(1);
				expect(
					await winners(
						times(20, () => store.consumeOAuthFlow(fl.stateHash, T0)),
					),
				).toBe(1);
				expect(
					await winners(
						times(20, () => store.consumeAuthCode(code.codeHash, T0)),
					),
				).toBe(1);
				if (harness.connections)
					expect(await harness.connections()).toBeGreaterThan(1);
			});

			it("keeps a pending link until its one redemption or its expiry", async () => {
				const u = await seedUser();
				const pending = {
					codeHash: id("lc"),
					userId: u.id,
					providerConfigId: "google",
					payloadEnc: "v1.k1.x.y",
					expiresAt: T0 + 300_000,
					createdAt: T0,
				};
				await store.putPendingLink(pending);
				const taken = await times(20, () =>
					store.consumePendingLink(pending.codeHash, T0),
				);
				expect(taken.filter((row) => row !== null)).toEqual([pending]);
				expect(await store.consumePendingLink(pending.codeHash, T0)).toBeNull();

				const late = { ...pending, codeHash: id("lc") };
				await store.putPendingLink(late);
				expect(
					await store.consumePendingLink(late.codeHash, late.expiresAt),
				).toBeNull();
				expect(await store.purgeExpired(late.expiresAt)).toBeGreaterThan(0);
				expect(await store.consumePendingLink(late.codeHash, T0)).toBeNull();
			});

			it("purges expired one-time records and expired sessions, and nothing live", async () => {
				const acc = await seedAccount();
				const u = acc.userId;
				await store.putProviderSession(
					providerSession(u, acc.id, { expiresAt: T0 }),
				);
				await store.putLinkIntent(linkIntent(u, { expiresAt: T0 - 1 }));
				await store.putOAuthFlow(oauthFlow({ expiresAt: T0 }));
				await store.putAuthCode({
					codeHash: id("code"),
					userId: u,
					sessionFamilyId: "f",
					appCodeChallenge: null,
					expiresAt: T0,
					createdAt: T0,
				});
				const old = session(u, { expiresAt: T0 });
				await store.insertSession(old);
				const live = session(u, { expiresAt: T0 + MIN });
				await store.insertSession(live);
				const liveIntent = linkIntent(u, { expiresAt: T0 + 1 });
				await store.putLinkIntent(liveIntent);

				expect(await store.purgeExpired(T0)).toBe(5);
				expect(await store.purgeExpired(T0)).toBe(0);
				expect(await store.getSession(old.id)).toBeNull();
				expect(await store.getSession(live.id)).toEqual(live);
				expect(await store.consumeLinkIntent(liveIntent.idHash, T0)).toEqual(
					liveIntent,
				);
			});
		});

		describe("revocation queue", () => {
			async function queue(...rows: NewRevocation[]) {
				const u = await seedUser();
				await store.insertConnectedAccount(account(u.id), {
					revocations: rows,
				});
			}

			it("claims due items by pushing them forward, then reschedules and completes them", async () => {
				const due = revocation({ nextAttemptAt: T0, createdAt: T0 });
				const later = revocation({ nextAttemptAt: T0 + 10 * MIN });
				await queue(due, later);
				const claimed = await store.claimRevocations({
					now: T0,
					limit: 10,
					claimUntil: T0 + MIN,
				});
				expect(claimed).toEqual([
					{ ...due, attempts: 1, nextAttemptAt: T0 + MIN, lastError: null },
				]);
				// Claimed items stay invisible until the claim runs out.
				expect(
					await store.claimRevocations({
						now: T0 + 1,
						limit: 10,
						claimUntil: T0 + MIN,
					}),
				).toEqual([]);

				await store.rescheduleRevocation(due.id, T0 + 2 * MIN, "provider 503");
				const retried = await store.claimRevocations({
					now: T0 + 2 * MIN,
					limit: 10,
					claimUntil: T0 + 3 * MIN,
				});
				expect(retried).toEqual([
					{
						...due,
						attempts: 2,
						nextAttemptAt: T0 + 3 * MIN,
						lastError: "provider 503",
					},
				]);

				await store.completeRevocation(due.id);
				const rest = await store.claimRevocations({
					now: T0 + 60 * MIN,
					limit: 10,
					claimUntil: T0 + 61 * MIN,
				});
				expect(rest.map((r) => r.id)).toEqual([later.id]);
			});

			it("never hands one item to two racing claimers", async () => {
				const rows = Array.from({ length: 10 }, (_, i) =>
					revocation({ nextAttemptAt: T0 - i }),
				);
				await queue(...rows);
				const batches = await times(5, () =>
					store.claimRevocations({ now: T0, limit: 3, claimUntil: T0 + MIN }),
				);
				const all = batches.flat().map((r) => r.id);
				expect(new Set(all).size).toBe(all.length);
				expect(new Set(all)).toEqual(new Set(rows.map((r) => r.id)));
			});
		});

		describe("event outbox", () => {
			async function emit(...rows: NewEvent[]) {
				const u = await seedUser();
				await store.insertConnectedAccount(account(u.id), { events: rows });
			}

			it("claims pending events, skips delivered ones, and reschedules failures", async () => {
				const a = event({ createdAt: T0 });
				const b = event({ createdAt: T0 + 1 });
				const future = event({ createdAt: T0 + 5 * MIN });
				await emit(a, b, future);
				const claimed = await store.claimEvents({
					now: T0 + 1,
					limit: 10,
					claimUntil: T0 + MIN,
				});
				expect(claimed.map((e) => e.id)).toEqual([a.id, b.id]);
				expect(claimed[0]).toMatchObject({
					attempts: 1,
					nextAttemptAt: T0 + MIN,
					deliveredAt: null,
				});

				await store.markEventDelivered(a.id, T0 + 2);
				await store.rescheduleEvent(b.id, T0 + 2 * MIN, "webhook 500");
				const next = await store.claimEvents({
					now: T0 + 10 * MIN,
					limit: 10,
					claimUntil: T0 + 11 * MIN,
				});
				expect(next.map((e) => e.id)).toEqual([b.id, future.id]);
				expect(next[0]).toMatchObject({
					attempts: 2,
					lastError: "webhook 500",
				});

				// A late reschedule must not resurrect a delivered event.
				await store.rescheduleEvent(a.id, T0, "late");
				const events = await store.listEvents({ limit: 10 });
				expect(events.find((e) => e.id === a.id)).toMatchObject({
					deliveredAt: T0 + 2,
					lastError: null,
				});
			});

			it("never hands one event to two racing claimers", async () => {
				const rows = Array.from({ length: 10 }, (_, i) =>
					event({ createdAt: T0 - i }),
				);
				await emit(...rows);
				const batches = await times(5, () =>
					store.claimEvents({ now: T0, limit: 3, claimUntil: T0 + MIN }),
				);
				const all = batches.flat().map((e) => e.id);
				expect(new Set(all).size).toBe(all.length);
				expect(new Set(all)).toEqual(new Set(rows.map((e) => e.id)));
			});

			it("lists newest first and pages by createdAt", async () => {
				const rows = Array.from({ length: 5 }, (_, i) =>
					event({ createdAt: T0 + i, payload: { i } }),
				);
				await emit(...rows);
				const page1 = await store.listEvents({ limit: 2 });
				expect(page1.map((e) => e.payload)).toEqual([{ i: 4 }, { i: 3 }]);
				const page2 = await store.listEvents({
					limit: 2,
					beforeCreatedAt: page1[1]?.createdAt,
				});
				expect(page2.map((e) => e.payload)).toEqual([{ i: 2 }, { i: 1 }]);
				const page3 = await store.listEvents({
					limit: 2,
					beforeCreatedAt: page2[1]?.createdAt,
				});
				expect(page3.map((e) => e.payload)).toEqual([{ i: 0 }]);
				expect(
					await store.listEvents({ limit: 10, beforeCreatedAt: T0 }),
				).toEqual([]);
			});

			it("resets a delivered event so it is due again (replay), and knows no other", async () => {
				const a = event({ createdAt: T0 });
				await emit(a);
				await store.claimEvents({ now: T0, limit: 10, claimUntil: T0 + MIN });
				await store.rescheduleEvent(a.id, T0 + MIN, "webhook 500");
				await store.claimEvents({
					now: T0 + MIN,
					limit: 10,
					claimUntil: T0 + 2 * MIN,
				});
				await store.markEventDelivered(a.id, T0 + MIN + 1);
				expect(
					await store.claimEvents({
						now: T0 + 10 * MIN,
						limit: 10,
						claimUntil: T0 + 11 * MIN,
					}),
				).toEqual([]);

				const reset = await store.resetEvent(a.id, T0 + 20 * MIN);
				expect(reset).toMatchObject({
					id: a.id,
					deliveredAt: null,
					attempts: 0,
					lastError: null,
					nextAttemptAt: T0 + 20 * MIN,
					payload: a.payload,
				});
				expect(
					await store.claimEvents({
						now: T0 + 19 * MIN,
						limit: 10,
						claimUntil: T0 + 30 * MIN,
					}),
				).toEqual([]);
				const again = await store.claimEvents({
					now: T0 + 20 * MIN,
					limit: 10,
					claimUntil: T0 + 30 * MIN,
				});
				expect(again.map((e) => [e.id, e.attempts])).toEqual([[a.id, 1]]);
				expect(await store.resetEvent("evt-missing", T0)).toBeNull();
			});
		});

		describe("audit log", () => {
			it("appends a batch in one call and lists it newest first with every field", async () => {
				const rows = Array.from({ length: 250 }, (_, i) =>
					audit({ at: T0 + i, count: i === 0 ? 7 : 1 }),
				);
				await store.appendAudit(rows);
				await store.appendAudit([]);
				const page = await store.listAudit({ limit: 3 });
				expect(page).toEqual(rows.slice(-3).reverse());
				const oldest = await store.listAudit({
					limit: 1,
					before: { at: T0 + 1, id: rows[1]?.id ?? "" },
				});
				expect(oldest).toEqual([{ ...rows[0], count: 7 }]);
			});

			it("keeps one row per id: a batch written again (a retry after an unclear failure) adds only what is new", async () => {
				const a = audit({ at: T0 });
				await store.appendAudit([a]);
				const b = audit({ at: T0 + 1 });
				await store.appendAudit([b, { ...a, count: 99 }]);
				expect(await store.listAudit({ limit: 10 })).toEqual([b, a]);
			});

			it("pages by (at, id) without skipping rows that share a time", async () => {
				// Five rows at one instant, three later: a cursor must split the tie exactly.
				const rows = [
					...Array.from({ length: 5 }, () => audit({ at: T0 })),
					...Array.from({ length: 3 }, (_, i) => audit({ at: T0 + 1 + i })),
				];
				await store.appendAudit(rows);
				const seen: string[] = [];
				let before: { at: number; id: string } | undefined;
				for (;;) {
					const page = await store.listAudit({
						limit: 3,
						...(before === undefined ? {} : { before }),
					});
					seen.push(...page.map((r) => r.id));
					const last = page.at(-1);
					if (page.length < 3 || last === undefined) break;
					before = { at: last.at, id: last.id };
				}
				expect(seen).toHaveLength(rows.length);
				expect(new Set(seen)).toEqual(new Set(rows.map((r) => r.id)));
				const ats = seen.map(
					(s) => rows.find((r) => r.id === s)?.at ?? Number.NaN,
				);
				expect(ats).toEqual([...ats].sort((a, b) => b - a));
			});

			it("filters by user, provider and kind, together or alone", async () => {
				const a = audit({ userId: "usr-1", providerConfigId: "google" });
				const b = audit({
					userId: "usr-1",
					providerConfigId: "github",
					kind: "token.read",
					at: T0 + 1,
				});
				const c = audit({
					userId: "usr-2",
					providerConfigId: "github",
					at: T0 + 2,
				});
				const d = audit({
					userId: null,
					providerConfigId: null,
					providerAccountId: null,
					kind: "webhook.replayed",
					at: T0 + 3,
				});
				await store.appendAudit([a, b, c, d]);
				const ids = async (input: Parameters<Store["listAudit"]>[0]) =>
					(await store.listAudit(input)).map((r) => r.id);
				expect(await ids({ limit: 10, userId: "usr-1" })).toEqual([b.id, a.id]);
				// A user's events of a kind other than reads go through the per-user index, which
				// leaves reads out; with reads (or no kind) the log is walked by time.
				expect(
					await ids({ limit: 10, userId: "usr-1", kind: "token.refresh" }),
				).toEqual([a.id]);
				expect(
					await ids({ limit: 10, userId: "usr-1", kind: "token.read" }),
				).toEqual([b.id]);
				expect(await ids({ limit: 10, provider: "github" })).toEqual([
					c.id,
					b.id,
				]);
				expect(await ids({ limit: 10, kind: "token.refresh" })).toEqual([
					c.id,
					a.id,
				]);
				expect(
					await ids({
						limit: 10,
						userId: "usr-1",
						provider: "github",
						kind: "token.read",
					}),
				).toEqual([b.id]);
				expect(
					await ids({
						limit: 10,
						provider: "github",
						before: { at: c.at, id: c.id },
					}),
				).toEqual([b.id]);
				expect(
					await store.listAudit({ limit: 10, kind: "webhook.replayed" }),
				).toEqual([d]);
			});

			it("counts occurrences per epoch-aligned bucket, kind, provider and reason", async () => {
				const hour = 60 * MIN;
				// T0 is not on an hour boundary; buckets are, whatever `since` is.
				const start = Math.floor(T0 / hour) * hour;
				await store.appendAudit([
					audit({ at: start + 1, kind: "token.refresh" }),
					audit({ at: start + 2, kind: "token.refresh" }),
					audit({
						at: start + 3,
						kind: "token.read",
						reason: "access_token",
						count: 40,
					}),
					audit({
						at: start + 4,
						kind: "token.read",
						reason: "access_token",
						count: 2,
					}),
					audit({
						at: start + hour - 1,
						kind: "token.refresh_failed",
						reason: "transient",
					}),
					audit({
						at: start + hour,
						kind: "token.refresh_failed",
						reason: "transient",
						providerConfigId: "github",
					}),
					audit({
						at: start + 2 * hour + 5,
						kind: "token.refresh_failed",
						reason: "permanent",
					}),
					audit({ at: start - 1, kind: "token.refresh" }),
				]);
				const counts = await store.auditCounts({
					since: start,
					bucketMs: hour,
				});
				expect(counts).toEqual([
					{
						bucketStart: start,
						kind: "token.read",
						providerConfigId: "google",
						reason: "access_token",
						count: 42,
					},
					{
						bucketStart: start,
						kind: "token.refresh",
						providerConfigId: "google",
						reason: null,
						count: 2,
					},
					{
						bucketStart: start,
						kind: "token.refresh_failed",
						providerConfigId: "google",
						reason: "transient",
						count: 1,
					},
					{
						bucketStart: start + hour,
						kind: "token.refresh_failed",
						providerConfigId: "github",
						reason: "transient",
						count: 1,
					},
					{
						bucketStart: start + 2 * hour,
						kind: "token.refresh_failed",
						providerConfigId: "google",
						reason: "permanent",
						count: 1,
					},
				]);

				const refreshesOnly = await store.auditCounts({
					since: start - hour,
					until: start + hour,
					bucketMs: 24 * hour,
					kinds: ["token.refresh", "token.refresh_failed"],
				});
				const day = Math.floor(start / (24 * hour)) * 24 * hour;
				const dayOfEarly = Math.floor((start - 1) / (24 * hour)) * 24 * hour;
				const total = (kind: string) =>
					refreshesOnly
						.filter((c) => c.kind === kind)
						.reduce((n, c) => n + c.count, 0);
				expect(total("token.refresh")).toBe(3);
				expect(total("token.refresh_failed")).toBe(1);
				expect(total("token.read")).toBe(0);
				expect(new Set(refreshesOnly.map((c) => c.bucketStart))).toEqual(
					new Set([day, dayOfEarly]),
				);
				expect(
					await store.auditCounts({ since: start, bucketMs: hour, kinds: [] }),
				).toEqual([]);
			});

			it("prunes the oldest rows before a time, in bounded batches", async () => {
				const rows = Array.from({ length: 7 }, (_, i) => audit({ at: T0 + i }));
				await store.appendAudit(rows);
				expect(await store.pruneAudit(T0 + 5, 3)).toBe(3);
				expect(await store.pruneAudit(T0 + 5, 3)).toBe(2);
				expect(await store.pruneAudit(T0 + 5, 3)).toBe(0);
				expect((await store.listAudit({ limit: 10 })).map((r) => r.at)).toEqual(
					[T0 + 6, T0 + 5],
				);
			});
		});

		describe("admin reads", () => {
			it("lists users newest first with their account counts, paging by (createdAt, id)", async () => {
				const users = [
					await seedUser({ createdAt: T0 }),
					await seedUser({ createdAt: T0 + 1 }),
					await seedUser({ createdAt: T0 + 1 }),
					await seedUser({ createdAt: T0 + 1 }),
					await seedUser({ createdAt: T0 + 2 }),
				];
				const [first, , , , last] = users;
				if (first === undefined || last === undefined) throw new Error("seed");
				await seedAccount({ userId: last.id });
				await seedAccount({ userId: last.id, providerConfigId: "github" });
				await seedAccount({ userId: first.id });

				const all = await store.listUsers({ limit: 10 });
				expect(all[0]).toEqual({ ...last, accountCount: 2 });
				expect(all.at(-1)).toEqual({ ...first, accountCount: 1 });
				expect(all.map((u) => u.createdAt)).toEqual([
					T0 + 2,
					T0 + 1,
					T0 + 1,
					T0 + 1,
					T0,
				]);

				const seen: string[] = [];
				let after: { createdAt: number; id: string } | undefined;
				for (;;) {
					const page = await store.listUsers({
						limit: 2,
						...(after === undefined ? {} : { after }),
					});
					seen.push(...page.map((u) => u.id));
					const tail = page.at(-1);
					if (page.length < 2 || tail === undefined) break;
					after = { createdAt: tail.createdAt, id: tail.id };
				}
				expect(seen).toEqual(all.map((u) => u.id));
			});

			it("finds users by any identifier, exactly (emails case-insensitively)", async () => {
				const ada = await seedUser({
					email: "Ada.Lovelace@example.test",
					displayName: "Ada",
				});
				const bob = await seedUser({
					email: null,
					displayName: "Bob",
					externalId: "app-user-77",
				});
				const cy = await seedUser({ email: null, displayName: null });
				await seedAccount({
					userId: cy.id,
					providerAccountId: "octocat-42",
					email: "Cy@Work.test",
				});
				// Two accounts matching one query still give the user once.
				await seedAccount({
					userId: cy.id,
					providerConfigId: "github",
					providerAccountId: "octocat-42",
					email: null,
				});
				const find = async (query: string) =>
					(await store.listUsers({ limit: 10, query })).map((u) => u.id);
				expect(await find("ada.lovelace@EXAMPLE.test")).toEqual([ada.id]);
				expect(await find("app-user-77")).toEqual([bob.id]);
				expect(await find("octocat-42")).toEqual([cy.id]);
				expect(await find("cy@work.test")).toEqual([cy.id]);
				expect(await find(cy.id)).toEqual([cy.id]);
				expect((await store.listUsers({ limit: 10, query: cy.id }))[0]).toEqual(
					{ ...cy, accountCount: 2 },
				);
				// Not a substring or pattern search.
				expect(await find("lovelace")).toEqual([]);
				expect(await find("octocat")).toEqual([]);
				expect(await find("%")).toEqual([]);
				expect(await find("APP-USER-77")).toEqual([]);
			});

			it("pages a search like the full list", async () => {
				const shared = "shared@example.test";
				const users = [
					await seedUser({ email: shared, createdAt: T0 }),
					await seedUser({ email: shared, createdAt: T0 + 1 }),
					await seedUser({ email: shared, createdAt: T0 + 2 }),
					await seedUser({ email: "other@example.test", createdAt: T0 + 3 }),
				];
				const page1 = await store.listUsers({ limit: 2, query: shared });
				expect(page1.map((u) => u.id)).toEqual([users[2]?.id, users[1]?.id]);
				const tail = page1[1];
				if (tail === undefined) throw new Error("page");
				const page2 = await store.listUsers({
					limit: 2,
					query: shared,
					after: { createdAt: tail.createdAt, id: tail.id },
				});
				expect(page2.map((u) => u.id)).toEqual([users[0]?.id]);
			});

			it("counts accounts per provider and status", async () => {
				expect(await store.countAccounts()).toEqual([]);
				await seedAccount();
				await seedAccount();
				await seedAccount({ status: "reauth_required" });
				await seedAccount({ providerConfigId: "github" });
				expect(await store.countAccounts()).toEqual([
					{ providerConfigId: "github", status: "active", count: 1 },
					{ providerConfigId: "google", status: "active", count: 2 },
					{ providerConfigId: "google", status: "reauth_required", count: 1 },
				]);
			});

			it("keeps account counts right through status changes, unlinks and user deletions", async () => {
				const owner = await seedUser();
				const a = await seedAccount({ userId: owner.id });
				const b = await seedAccount({ userId: owner.id });
				const c = await seedAccount({ providerConfigId: "github" });
				const toReauth = await store.updateConnectedAccount(
					a.id,
					a.version,
					{ status: "reauth_required" },
					T0 + 1,
				);
				// Updates that leave the status alone (the common case: a refresh) change nothing.
				await store.updateConnectedAccount(
					b.id,
					b.version,
					{ accessTokenExpiresAt: T0 + 2 * MIN, status: "active" },
					T0 + 1,
				);
				await store.markUsed([b.id, c.id], T0 + 2);
				expect(toReauth?.status).toBe("reauth_required");
				expect(await store.countAccounts()).toEqual([
					{ providerConfigId: "github", status: "active", count: 1 },
					{ providerConfigId: "google", status: "active", count: 1 },
					{ providerConfigId: "google", status: "reauth_required", count: 1 },
				]);
				await store.deleteConnectedAccount(c.id);
				expect(await store.countAccounts()).toEqual([
					{ providerConfigId: "google", status: "active", count: 1 },
					{ providerConfigId: "google", status: "reauth_required", count: 1 },
				]);
				// Accounts go with their user (ON DELETE CASCADE); the counts must follow. Deleting
				// users is no store operation, so the test does it behind the store's back.
				if (harness.deleteUser === undefined) return;
				await harness.deleteUser(owner.id);
				expect(await store.countAccounts()).toEqual([]);
				const again = await seedAccount();
				expect(again.status).toBe("active");
				expect(await store.countAccounts()).toEqual([
					{ providerConfigId: "google", status: "active", count: 1 },
				]);
			});
		});

		describe("signing keys", () => {
			it("lists newest first, retires once, and rejects a duplicate kid", async () => {
				const old = signingKey({ createdAt: T0 });
				const current = signingKey({ createdAt: T0 + 1 });
				await store.insertSigningKey(old);
				await store.insertSigningKey(current);
				expect(await store.listSigningKeys()).toEqual([current, old]);
				await store.retireSigningKey(old.kid, T0 + 5);
				await store.retireSigningKey(old.kid, T0 + 9);
				expect((await store.listSigningKeys())[1]).toEqual({
					...old,
					retiredAt: T0 + 5,
				});
				expect(await conflictName(store.insertSigningKey(current))).toBe(
					"signing_key_kid",
				);
			});
		});

		describe("key rotation support", () => {
			/** Writes one row of `table` whose encrypted columns hold `values`, in `encryptedColumns` order. */
			async function seedEncrypted(
				table: EncryptedTable,
				key: string,
				values: (string | null)[],
			) {
				const first = values[0] ?? null;
				switch (table) {
					case "connected_accounts": {
						const u = await seedUser();
						await store.insertConnectedAccount(
							account(u.id, {
								id: key,
								accessTokenEnc: first,
								refreshTokenEnc: values[1] ?? null,
								idTokenEnc: values[2] ?? null,
							}),
						);
						return;
					}
					case "provider_sessions": {
						const acc = await seedAccount();
						await store.putProviderSession(
							providerSession(acc.userId, acc.id, {
								id: key,
								payloadEnc: first ?? "",
							}),
						);
						return;
					}
					case "oauth_flows":
						await store.putOAuthFlow(
							oauthFlow({ stateHash: key, codeVerifierEnc: first ?? "" }),
						);
						return;
					case "revocations": {
						const u = await seedUser();
						await store.insertConnectedAccount(account(u.id), {
							revocations: [revocation({ id: key, tokenEnc: first ?? "" })],
						});
						return;
					}
					case "signing_keys":
						await store.insertSigningKey(
							signingKey({ kid: key, privateJwkEnc: first ?? "" }),
						);
						return;
					case "pending_links": {
						const u = await seedUser();
						await store.putPendingLink({
							codeHash: key,
							userId: u.id,
							providerConfigId: "google",
							payloadEnc: first ?? "",
							expiresAt: T0 + 60_000,
							createdAt: T0,
						});
						return;
					}
				}
			}

			const tables = Object.keys(encryptedColumns).filter(
				(t): t is EncryptedTable => Object.hasOwn(encryptedColumns, t),
			);

			it.each(tables)(
				"finds, pages, counts and replaces envelopes not under the current key in %s",
				async (table) => {
					const columns: readonly string[] = encryptedColumns[table];
					const multi = columns.length > 1;
					const ids = Array.from({ length: 5 }, () => id("enc"));
					const [r1, r2, r3, r4, r5] = ids;
					if (!r1 || !r2 || !r3 || !r4 || !r5) throw new Error("ids");
					const all = (k: string) => columns.map((_, i) => env(k, String(i)));
					await seedEncrypted(table, r1, all("k2"));
					await seedEncrypted(table, r2, all("k1"));
					// Only one of several columns behind, or a value that is no envelope at all.
					await seedEncrypted(
						table,
						r3,
						multi ? [env("k2"), null, env("k1")] : ["garbage"],
					);
					await seedEncrypted(table, r4, all("k1"));
					await seedEncrypted(
						table,
						r5,
						multi ? [env("k2"), null, null] : all("k2"),
					);

					expect(await store.countEncryptedNotUnderKey(table, "k2")).toBe(3);
					const listed = await store.listEncryptedNotUnderKey(
						table,
						"k2",
						"",
						100,
					);
					expect(listed.map((r) => r.id)).toEqual([r2, r3, r4]);
					expect(listed[0]?.values).toEqual(
						Object.fromEntries(columns.map((c, i) => [c, all("k1")[i]])),
					);
					if (multi) {
						expect(listed[1]?.values).toEqual(
							Object.fromEntries(
								columns.map((c, i) => [c, [env("k2"), null, env("k1")][i]]),
							),
						);
					}

					const paged: string[] = [];
					let after = "";
					for (;;) {
						const page = await store.listEncryptedNotUnderKey(
							table,
							"k2",
							after,
							1,
						);
						if (page.length === 0) break;
						paged.push(...page.map((r) => r.id));
						after = page[page.length - 1]?.id ?? "";
					}
					expect(paged).toEqual([r2, r3, r4]);

					const row2 = listed[0];
					if (!row2) throw new Error("row2");
					const rewritten = Object.fromEntries(
						columns.map((c, i) => [c, env("k2", `n${i}`)]),
					);
					const stale = Object.fromEntries(columns.map((c) => [c, env("k9")]));
					expect(
						await store.replaceEncrypted(table, r2, stale, rewritten),
					).toBe(false);
					expect(
						await store.replaceEncrypted(
							table,
							"missing",
							row2.values,
							rewritten,
						),
					).toBe(false);
					expect(await store.countEncryptedNotUnderKey(table, "k2")).toBe(3);
					expect(
						await store.replaceEncrypted(table, r2, row2.values, rewritten),
					).toBe(true);
					expect(await store.countEncryptedNotUnderKey(table, "k2")).toBe(2);
					expect(await store.countEncryptedNotUnderKey(table, "k1")).toBe(4);
					expect(
						(await store.listEncryptedNotUnderKey(table, "k2", "", 100)).map(
							(r) => r.id,
						),
					).toEqual([r3, r4]);
					await expect(
						store.replaceEncrypted(table, r3, { nope: null }, {}),
					).rejects.toThrow(/no encrypted column/);
				},
			);

			it("re-encrypts an account without bumping its version, so a racing refresh still wins", async () => {
				const acc = await seedAccount({
					accessTokenEnc: env("k1", "a"),
					refreshTokenEnc: env("k1", "r"),
				});
				const [row] = await store.listEncryptedNotUnderKey(
					"connected_accounts",
					"k2",
					"",
					10,
				);
				if (!row) throw new Error("row");
				// The refresh lands first...
				const refreshed = await store.updateConnectedAccount(
					acc.id,
					acc.version,
					{ accessTokenEnc: env("k2", "fresh") },
					T0 + 1,
				);
				expect(refreshed).not.toBeNull();
				// ...so the re-encryption of the old values must not overwrite it.
				expect(
					await store.replaceEncrypted(
						"connected_accounts",
						acc.id,
						row.values,
						{
							access_token_enc: env("k2", "a"),
							refresh_token_enc: env("k2", "r"),
							id_token_enc: null,
						},
					),
				).toBe(false);
				const current = await store.getConnectedAccount(acc.id);
				expect(current?.accessTokenEnc).toBe(env("k2", "fresh"));

				const [again] = await store.listEncryptedNotUnderKey(
					"connected_accounts",
					"k2",
					"",
					10,
				);
				if (!again) throw new Error("again");
				expect(
					await store.replaceEncrypted(
						"connected_accounts",
						acc.id,
						again.values,
						{
							refresh_token_enc: env("k2", "r"),
						},
					),
				).toBe(true);
				const done = await store.getConnectedAccount(acc.id);
				expect(done).toMatchObject({
					accessTokenEnc: env("k2", "fresh"),
					refreshTokenEnc: env("k2", "r"),
					version: acc.version + 1,
					updatedAt: T0 + 1,
				});
			});

			it("refuses a table without encrypted columns", async () => {
				// A caller bypassing the types (e.g. a CLI argument) must not reach the SQL.
				// Method syntax checks parameters bivariantly, so this typed door accepts any string.
				const loose: { count(table: string, keyId: string): Promise<number> } =
					{
						count: store.countEncryptedNotUnderKey.bind(store),
					};
				await expect(loose.count("users", "k1")).rejects.toThrow(
					/no encrypted columns/,
				);
			});
		});

		if (target.name.startsWith("sqlite (file)")) {
			it("creates the database file's missing parent directory", () => {
				expect(harness.file && existsSync(harness.file)).toBeTruthy();
			});
		}
	});
}

storeContract({
	name: "sqlite (file)",
	shared: true,
	async setup() {
		const dir = mkdtempSync(join(tmpdir(), "tether-store-"));
		const file = join(dir, "missing", "parent", "tether.db");
		return {
			file,
			open: () => createSqliteStore({ path: file }),
			async deleteUser(userId) {
				const db = new Database(file);
				try {
					db.pragma("foreign_keys = ON");
					db.prepare("DELETE FROM users WHERE id = ?").run(userId);
				} finally {
					db.close();
				}
			},
			async cleanup() {
				rmSync(dirname(dirname(dirname(file))), {
					recursive: true,
					force: true,
				});
			},
		};
	},
});

storeContract({
	name: "sqlite (:memory:)",
	shared: false,
	async setup() {
		return {
			open: () => createSqliteStore({ path: ":memory:" }),
			async cleanup() {},
		};
	},
});

const databaseUrl = process.env.TETHER_TEST_DATABASE_URL;
if (databaseUrl) {
	storeContract({
		name: "postgres",
		shared: true,
		async setup() {
			const schema = `tether_test_${randomBytes(6).toString("hex")}`;
			const admin = new pg.Client({ connectionString: databaseUrl });
			await admin.connect();
			return {
				// Room for 20 racers, so races in this suite really run on separate connections.
				open: () =>
					createPostgresStore({
						url: databaseUrl,
						schema,
						max: 25,
						applicationName: schema,
					}),
				async deleteUser(userId) {
					await admin.query(`DELETE FROM ${schema}.users WHERE id = $1`, [
						userId,
					]);
				},
				async killAccountListeners() {
					const r = await admin.query(
						"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
						[`${schema} (listen)`],
					);
					return r.rowCount ?? 0;
				},
				async connections() {
					const r = await admin.query<{ n: number }>(
						"SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
						[schema],
					);
					return r.rows[0]?.n ?? 0;
				},
				async cleanup() {
					await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
					await admin.end();
				},
			};
		},
	});
} else {
	describe.skip("postgres store (skipped: TETHER_TEST_DATABASE_URL not set)", () => {
		it("runs the store contract against PostgreSQL", () => {});
	});
}
