import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
	createStore,
	type EncryptedTable,
	encryptedColumns,
	type Store,
} from "../store/index.ts";
import {
	createKeyRing,
	decrypt,
	type EnvelopeAad,
	encrypt,
	type KeyRing,
	keyIdOf,
	type RotateKeysInput,
	type RotateProgress,
	rotateKeys,
} from "./index.ts";

const k0 = `k0:${Buffer.alloc(32, 0x00).toString("base64")}`;
const k1 = `k1:${Buffer.alloc(32, 0x11).toString("base64")}`;
const k2 = `k2:${Buffer.alloc(32, 0x22).toString("base64")}`;
const oldRing = createKeyRing([k1]);
const newRing = createKeyRing([k2, k1]);
// Only k2: a value that opens with this ring really is under the new key.
const k2Only = createKeyRing([k2]);
const tables = Object.keys(encryptedColumns) as EncryptedTable[];
const now = 1_700_000_000_000;

/** What the test wrote, by `table/id/field`, to check that rotation loses nothing. */
type Plaintexts = Map<string, string>;
const slot = (table: string, id: string, field: string) =>
	`${table}/${id}/${field}`;

/**
 * Writes `count` rows into every encrypted table through the store's ordinary insert methods, each
 * value encrypted under `ring` with its row/field AAD, and returns the plaintexts.
 */
async function seed(
	store: Store,
	ring: KeyRing,
	count: number,
): Promise<Plaintexts> {
	const plain: Plaintexts = new Map();
	const seal = (aad: EnvelopeAad, value: string) => {
		plain.set(slot(aad.table, aad.rowId, aad.field), value);
		return encrypt(ring, value, aad);
	};
	await store.insertUser({
		id: "user_1",
		externalId: null,
		email: null,
		displayName: null,
		createdAt: now,
		updatedAt: now,
	});
	for (let i = 0; i < count; i++) {
		const n = String(i).padStart(3, "0");
		const id = `ca_${n}`;
		const account = (field: string, value: string) =>
			seal({ table: "connected_accounts", rowId: id, field }, value);
		const revocationId = `rv_${n}`;
		await store.insertConnectedAccount(
			{
				id,
				userId: "user_1",
				providerConfigId: "acme",
				providerAccountId: `acct-${n}`,
				email: null,
				displayName: null,
				scopes: ["openid"],
				tokenType: "Bearer",
				accessTokenEnc: account("access_token_enc", `access-${n}-🔑`),
				refreshTokenEnc: account("refresh_token_enc", `refresh-${n}`),
				// Every other account has no id token: null columns must stay null.
				idTokenEnc: i % 2 === 0 ? account("id_token_enc", `id-${n}`) : null,
				accessTokenExpiresAt: now + 3_600_000,
				refreshTokenExpiresAt: null,
				status: "active",
				lastRefreshError: null,
				lastRefreshAt: null,
				lastUsedAt: null,
				createdAt: now,
				updatedAt: now,
			},
			{
				revocations: [
					{
						id: revocationId,
						providerConfigId: "acme",
						tokenEnc: seal(
							{ table: "revocations", rowId: revocationId, field: "token_enc" },
							`revoke-${n}`,
						),
						tokenTypeHint: "refresh_token",
						nextAttemptAt: now + 86_400_000,
						createdAt: now,
					},
				],
			},
		);
		const ps = `ps_${n}`;
		await store.putProviderSession({
			id: ps,
			userId: "user_1",
			sessionFamilyId: null,
			providerConfigId: "acme",
			connectedAccountId: id,
			payloadEnc: seal(
				{ table: "provider_sessions", rowId: ps, field: "payload_enc" },
				JSON.stringify({ accessToken: `access-${n}`, refreshToken: null }),
			),
			expiresAt: now + 600_000,
			createdAt: now,
		});
		const state = `state_${n}`;
		await store.putOAuthFlow({
			stateHash: state,
			kind: "signin",
			providerConfigId: "acme",
			userId: null,
			redirectTo: "http://127.0.0.1:5173/",
			scopes: ["openid"],
			codeVerifierEnc: seal(
				{ table: "oauth_flows", rowId: state, field: "code_verifier_enc" },
				`verifier-${n}`,
			),
			nonce: null,
			browserBindingHash: `binding-${n}`,
			appCodeChallenge: null,
			loginHint: null,
			providerAccountId: null,
			expiresAt: now + 600_000,
			createdAt: now,
		});
		const kid = `sk_${n}`;
		await store.insertSigningKey({
			kid,
			alg: "ES256",
			publicJwk: { kty: "EC", kid },
			privateJwkEnc: seal(
				{ table: "signing_keys", rowId: kid, field: "private_jwk_enc" },
				JSON.stringify({ kty: "EC", d: `private-${n}` }),
			),
			createdAt: now + i,
			retiredAt: null,
		});
		const linkCode = `lc_${n}`;
		await store.putPendingLink({
			codeHash: linkCode,
			userId: "user_1",
			providerConfigId: "acme",
			payloadEnc: seal(
				{ table: "pending_links", rowId: linkCode, field: "payload_enc" },
				JSON.stringify({ tokens: { accessToken: `pending-${n}` } }),
			),
			expiresAt: now + 300_000,
			createdAt: now,
		});
	}
	return plain;
}

/** Every non-null envelope in the database, by slot (a key id no value uses lists every row). */
async function readAll(store: Store): Promise<Map<string, string>> {
	const found = new Map<string, string>();
	for (const table of tables) {
		const rows = await store.listEncryptedNotUnderKey(table, "none", "", 1e6);
		for (const row of rows) {
			for (const [field, value] of Object.entries(row.values)) {
				if (value !== null) found.set(slot(table, row.id, field), value);
			}
		}
	}
	return found;
}

/** Asserts every seeded value is under k2 and still opens to what was written. */
async function expectAllUnderK2(store: Store, plain: Plaintexts) {
	const stored = await readAll(store);
	expect([...stored.keys()].sort()).toEqual([...plain.keys()].sort());
	for (const [where, envelope] of stored) {
		const [table = "", rowId = "", field = ""] = where.split("/");
		expect(keyIdOf(envelope), where).toBe("k2");
		expect(decrypt(k2Only, envelope, { table, rowId, field }), where).toBe(
			plain.get(where),
		);
	}
	for (const table of tables) {
		expect(await store.countEncryptedNotUnderKey(table, "k2")).toBe(0);
	}
}

interface Backend {
	name: string;
	/** Why the backend is skipped, or undefined when it runs. */
	skip: string | undefined;
	open(): Promise<{ store: Store; dispose(): Promise<void> }>;
}

const postgresUrl = process.env.TETHER_TEST_DATABASE_URL;

const backends: Backend[] = [
	{
		name: "sqlite",
		skip: undefined,
		async open() {
			const dir = mkdtempSync(join(tmpdir(), "tether-rotate-"));
			const store = createStore(`sqlite:${join(dir, "tether.db")}`);
			return {
				store,
				async dispose() {
					await store.close();
					rmSync(dir, { recursive: true, force: true });
				},
			};
		},
	},
	{
		name: "postgres",
		skip:
			postgresUrl === undefined || postgresUrl === ""
				? "TETHER_TEST_DATABASE_URL is not set"
				: undefined,
		async open() {
			const url = postgresUrl ?? "";
			// A fresh schema per test: runs never see each other's rows.
			const schema = `tether_rotate_${randomBytes(6).toString("hex")}`;
			const store = createStore(url, { schema, max: 2 });
			return {
				store,
				async dispose() {
					await store.close();
					const client = new pg.Client({ connectionString: url });
					await client.connect();
					try {
						await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
					} finally {
						await client.end();
					}
				},
			};
		},
	},
];

for (const backend of backends) {
	const title =
		backend.skip === undefined
			? `rotateKeys on ${backend.name}`
			: `rotateKeys on ${backend.name} (skipped: ${backend.skip})`;

	describe.skipIf(backend.skip !== undefined)(title, () => {
		let store: Store;
		let dispose: () => Promise<void>;

		beforeEach(async () => {
			const opened = await backend.open();
			store = opened.store;
			dispose = opened.dispose;
			await store.migrate();
		});
		afterEach(async () => {
			await dispose();
		});

		it("moves every value of every encrypted table to the primary key", async () => {
			const plain = await seed(store, oldRing, 7);
			const progress: RotateProgress[] = [];
			const summary = await rotateKeys({
				store,
				ring: newRing,
				batchSize: 3,
				onProgress: (p) => progress.push(p),
			});

			expect(summary).toEqual({
				rotated: 7 * tables.length,
				failed: [],
				skipped: 0,
			});
			await expectAllUnderK2(store, plain);
			for (const table of tables) {
				const reports = progress.filter((p) => p.table === table);
				expect(reports[0]).toEqual({ table, done: 0, total: 7 });
				expect(reports.at(-1)).toEqual({ table, done: 7, total: 7 });
				// One report at the start and one per batch of 3: 3 + 3 + 1.
				expect(reports).toHaveLength(4);
			}

			// Nothing is left, so a second run does nothing.
			expect(await rotateKeys({ store, ring: newRing, batchSize: 3 })).toEqual({
				rotated: 0,
				failed: [],
				skipped: 0,
			});
		});

		it("leaves values already under the primary key exactly as they are", async () => {
			const plain = await seed(store, oldRing, 2);
			const aad = {
				table: "connected_accounts",
				rowId: "ca_000",
				field: "access_token_enc",
			};
			const current = encrypt(newRing, "already-new", aad);
			plain.set(slot(aad.table, aad.rowId, aad.field), "already-new");
			const before = await store.getConnectedAccount("ca_000");
			await store.updateConnectedAccount(
				"ca_000",
				before?.version ?? -1,
				{ accessTokenEnc: current },
				now,
			);

			await rotateKeys({ store, ring: newRing });

			await expectAllUnderK2(store, plain);
			const after = await store.getConnectedAccount("ca_000");
			expect(after?.accessTokenEnc).toBe(current);
			expect(after?.refreshTokenEnc?.startsWith("v1.k2.")).toBe(true);
		});

		it.each([
			["aborted through its signal", "abort"],
			["stopped by a throwing progress callback", "throw"],
		] as const)("resumes after being %s halfway", async (_name, how) => {
			const plain = await seed(store, oldRing, 10);
			const controller = new AbortController();
			const stop = (p: RotateProgress) => {
				// Stop right after the first batch of the first table has been written.
				if (p.done === 0) return;
				if (how === "throw") throw new Error("killed");
				controller.abort(new Error("killed"));
			};

			await expect(
				rotateKeys({
					store,
					ring: newRing,
					batchSize: 4,
					onProgress: stop,
					signal: controller.signal,
				}),
			).rejects.toThrow("killed");

			const first = tables[0] ?? "connected_accounts";
			const keyIds = [...(await readAll(store))]
				.filter(([where]) => where.startsWith(`${first}/`))
				.map(([, envelope]) => keyIdOf(envelope));
			// A mix: the first batch (4 rows) moved, the rest did not; no row was half-written.
			expect(keyIds).toContain("k2");
			expect(keyIds).toContain("k1");
			expect(await store.countEncryptedNotUnderKey(first, "k2")).toBe(6);
			expect(await store.countEncryptedNotUnderKey(first, "k1")).toBe(4);

			const summary = await rotateKeys({ store, ring: newRing, batchSize: 4 });
			expect(summary).toEqual({
				rotated: 10 * tables.length - 4,
				failed: [],
				skipped: 0,
			});
			await expectAllUnderK2(store, plain);
		});

		it("reports values that will not open, by id, and leaves their rows untouched", async () => {
			const plain = await seed(store, oldRing, 4);
			const a = await store.getConnectedAccount("ca_001");
			const b = await store.getConnectedAccount("ca_002");
			const c = await store.getConnectedAccount("ca_003");
			if (a === null || b === null || c === null)
				throw new Error("seed failed");
			// ca_001: one flipped ciphertext byte. ca_002: holds ca_003's refresh token (a row swap).
			// ca_003: an access token under a key the ring no longer has.
			const tampered = flipLastByte(a.refreshTokenEnc ?? "");
			const swapped = c.refreshTokenEnc;
			const orphan = encrypt(createKeyRing([k0]), "lost-key", {
				table: "connected_accounts",
				rowId: "ca_003",
				field: "access_token_enc",
			});
			await store.updateConnectedAccount(
				"ca_001",
				a.version,
				{ refreshTokenEnc: tampered },
				now,
			);
			await store.updateConnectedAccount(
				"ca_002",
				b.version,
				{ refreshTokenEnc: swapped },
				now,
			);
			await store.updateConnectedAccount(
				"ca_003",
				c.version,
				{ accessTokenEnc: orphan },
				now,
			);
			const untouched = {
				ca_001: await encryptedOf(store, "ca_001"),
				ca_002: await encryptedOf(store, "ca_002"),
				ca_003: await encryptedOf(store, "ca_003"),
			};

			const summary = await rotateKeys({ store, ring: newRing, batchSize: 2 });

			expect(summary.failed).toEqual([
				{
					table: "connected_accounts",
					id: "ca_001",
					code: "ENVELOPE_AUTH_FAILED",
				},
				{
					table: "connected_accounts",
					id: "ca_002",
					code: "ENVELOPE_AUTH_FAILED",
				},
				{
					table: "connected_accounts",
					id: "ca_003",
					code: "ENVELOPE_UNKNOWN_KEY",
				},
			]);
			expect(summary.rotated).toBe(4 * tables.length - 3);
			expect(JSON.stringify(summary)).not.toMatch(/v1\.|refresh-|lost-key/);
			for (const [id, values] of Object.entries(untouched)) {
				// Every column, the good ones included: an operator gets the row exactly as it was.
				expect(await encryptedOf(store, id)).toEqual(values);
			}
			for (const [where, envelope] of await readAll(store)) {
				if (/^connected_accounts\/ca_00[123]\//.test(where)) continue;
				const [table = "", rowId = "", field = ""] = where.split("/");
				expect(decrypt(k2Only, envelope, { table, rowId, field })).toBe(
					plain.get(where),
				);
			}

			// Re-running reports the same rows again and writes nothing.
			const again = await rotateKeys({ store, ring: newRing, batchSize: 2 });
			expect(again).toEqual({ rotated: 0, failed: summary.failed, skipped: 0 });
		});

		it("lets a concurrent refresh under the new key win, and counts the row skipped", async () => {
			const plain = await seed(store, oldRing, 3);
			const racing = raceOnce(
				store,
				"ca_001",
				newRing,
				"refreshed-by-new-server",
			);
			expectRefreshed(plain, "ca_001", "refreshed-by-new-server");

			const summary = await rotateKeys({ store: racing, ring: newRing });

			expect(summary).toEqual({
				rotated: 3 * tables.length - 1,
				failed: [],
				skipped: 1,
			});
			await expectAllUnderK2(store, plain);
		});

		it("picks a row up again when a concurrent refresh rewrote it under the old key", async () => {
			const plain = await seed(store, oldRing, 3);
			// A server still configured with only k1 refreshes the token mid-rotation.
			const racing = raceOnce(
				store,
				"ca_001",
				oldRing,
				"refreshed-by-old-server",
			);
			expectRefreshed(plain, "ca_001", "refreshed-by-old-server");

			const summary = await rotateKeys({ store: racing, ring: newRing });

			expect(summary).toEqual({
				rotated: 3 * tables.length,
				failed: [],
				skipped: 0,
			});
			await expectAllUnderK2(store, plain);
		});

		it("reports a failed row once even when a lost race makes it walk the table again", async () => {
			await seed(store, oldRing, 3);
			const bad = await store.getConnectedAccount("ca_002");
			if (bad === null) throw new Error("seed failed");
			await store.updateConnectedAccount(
				"ca_002",
				bad.version,
				{ refreshTokenEnc: flipLastByte(bad.refreshTokenEnc ?? "") },
				now,
			);
			const racing = raceOnce(
				store,
				"ca_001",
				oldRing,
				"refreshed-by-old-server",
			);

			const summary = await rotateKeys({ store: racing, ring: newRing });

			expect(summary).toEqual({
				rotated: 3 * tables.length - 1,
				failed: [
					{
						table: "connected_accounts",
						id: "ca_002",
						code: "ENVELOPE_AUTH_FAILED",
					},
				],
				skipped: 0,
			});
		});
	});
}

async function encryptedOf(store: Store, id: string) {
	const row = await store.getConnectedAccount(id);
	return {
		access: row?.accessTokenEnc,
		refresh: row?.refreshTokenEnc,
		id: row?.idTokenEnc,
	};
}

function flipLastByte(envelope: string): string {
	const parts = envelope.split(".");
	const body = Buffer.from(parts[3] ?? "", "base64url");
	body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0x01;
	parts[3] = body.toString("base64url");
	return parts.join(".");
}

/**
 * The real store's rotation methods, except that the first compare-and-set on `id` is preceded by a
 * refresh that rewrites the account's tokens under `writerRing`, as another server process would.
 */
function raceOnce(
	store: Store,
	id: string,
	writerRing: KeyRing,
	token: string,
): RotateKeysInput["store"] {
	let raced = false;
	return {
		listEncryptedNotUnderKey: (...args) =>
			store.listEncryptedNotUnderKey(...args),
		countEncryptedNotUnderKey: (...args) =>
			store.countEncryptedNotUnderKey(...args),
		async replaceEncrypted(table, rowId, expected, next) {
			if (!raced && table === "connected_accounts" && rowId === id) {
				raced = true;
				const row = await store.getConnectedAccount(id);
				if (row === null) throw new Error("row vanished");
				const seal = (field: string, value: string) =>
					encrypt(writerRing, value, { table, rowId, field });
				await store.updateConnectedAccount(
					id,
					row.version,
					{
						accessTokenEnc: seal("access_token_enc", `access-${token}`),
						refreshTokenEnc: seal("refresh_token_enc", `refresh-${token}`),
					},
					now,
				);
			}
			return store.replaceEncrypted(table, rowId, expected, next);
		},
	};
}

/** Records the tokens `raceOnce` writes, so the final check expects them. */
function expectRefreshed(plain: Plaintexts, id: string, token: string) {
	plain.set(
		slot("connected_accounts", id, "access_token_enc"),
		`access-${token}`,
	);
	plain.set(
		slot("connected_accounts", id, "refresh_token_enc"),
		`refresh-${token}`,
	);
}
