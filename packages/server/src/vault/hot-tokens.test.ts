import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
	type ConnectedAccountRow,
	createSqliteStore,
	type Store,
} from "../store/index.ts";
import { createHotTokens, type HotTokens } from "./hot-tokens.ts";

const T0 = 1_700_000_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("hot tokens", () => {
	let dir: string;
	let store: Store;
	let hot: HotTokens | undefined;

	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), "tether-hot-"));
		store = createSqliteStore({ path: join(dir, "t.db") });
		await store.migrate();
		await store.insertUser({
			id: "usr1",
			externalId: null,
			email: null,
			displayName: null,
			createdAt: T0,
			updatedAt: T0,
		});
	});
	afterEach(async () => {
		await hot?.stop();
		hot = undefined;
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	async function account(n: number): Promise<ConnectedAccountRow> {
		await store.insertConnectedAccount({
			id: `acc${n}`,
			userId: "usr1",
			providerConfigId: "google",
			providerAccountId: `sub${n}`,
			email: null,
			displayName: null,
			scopes: ["openid"],
			tokenType: "Bearer",
			accessTokenEnc: "v1.k.iv.ct",
			refreshTokenEnc: null,
			idTokenEnc: null,
			accessTokenExpiresAt: T0 + 3_600_000,
			refreshTokenExpiresAt: null,
			status: "active",
			lastRefreshError: null,
			lastRefreshAt: null,
			lastUsedAt: null,
			createdAt: T0,
			updatedAt: T0,
		});
		const row = await store.getConnectedAccount(`acc${n}`);
		if (row === null) throw new Error("missing");
		return row;
	}

	const entry = (row: ConnectedAccountRow) => ({
		row,
		response: {
			accessToken: `at-${row.id}`,
			tokenType: "Bearer",
			expiresAt: null,
			scopes: row.scopes,
		},
		freshUntil: Number.POSITIVE_INFINITY,
	});

	it("serves what it was given until this process changes or deletes the account", async () => {
		hot = createHotTokens(store, 10);
		const a = await account(1);
		const b = await account(2);
		hot.put(hot.ticket(), entry(a));
		hot.put(hot.ticket(), entry(b));
		expect(hot.get("google", "sub1")?.response.accessToken).toBe("at-acc1");
		await store.updateConnectedAccount(a.id, a.version, {}, T0);
		expect(hot.get("google", "sub1")).toBeUndefined();
		expect(hot.get("google", "sub2")).toBeDefined();
		// Use and leases are not changes to what is served.
		await store.markUsed([b.id], T0);
		await store.acquireLease(b.id, "me", T0, T0 + 1000);
		expect(hot.get("google", "sub2")).toBeDefined();
		await store.deleteConnectedAccount(b.id);
		expect(hot.get("google", "sub2")).toBeUndefined();
	});

	it("never stores a row read before a change it did not see", async () => {
		hot = createHotTokens(store, 10);
		const a = await account(1);
		const ticket = hot.ticket();
		// Read under the ticket, then an unlink lands before the put.
		await store.deleteConnectedAccount(a.id);
		hot.put(ticket, entry(a));
		expect(hot.get("google", "sub1")).toBeUndefined();
	});

	it("drops what it holds once another connection commits", async () => {
		hot = createHotTokens(store, 10);
		const a = await account(1);
		hot.put(hot.ticket(), entry(a));
		await sleep(2);
		expect(hot.get("google", "sub1")).toBeDefined();
		const other = createSqliteStore({ path: join(dir, "t.db") });
		try {
			await other.markUsed([a.id], T0 + 1);
		} finally {
			await other.close();
		}
		await sleep(2);
		expect(hot.get("google", "sub1")).toBeUndefined();
	});

	it("holds at most its size, oldest out first; size 0 holds nothing", async () => {
		hot = createHotTokens(store, 2);
		const rows = [await account(1), await account(2), await account(3)];
		for (const row of rows) hot.put(hot.ticket(), entry(row));
		expect(hot.get("google", "sub1")).toBeUndefined();
		expect(hot.get("google", "sub2")).toBeDefined();
		expect(hot.get("google", "sub3")).toBeDefined();
		await hot.stop();
		hot = createHotTokens(store, 0);
		hot.put(hot.ticket(), entry(rows[0] as ConnectedAccountRow));
		expect(hot.get("google", "sub1")).toBeUndefined();
	});
});
