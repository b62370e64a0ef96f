import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { createSqliteStore } from "../store/index.ts";
import type { NewAuditEvent, Store } from "../store/types.ts";
import { type AuditEntry, createAuditRecorder } from "./audit.ts";

const quiet = createLogger({ level: "silent" });
const read = (account: string, reason = "access_token"): AuditEntry => ({
	kind: "token.read",
	userId: "usr_1",
	provider: "google",
	providerAccountId: account,
	reason,
});

/** A real SQLite store whose appendAudit can be made to fail and is counted. */
async function storeWithSwitch() {
	const store = createSqliteStore({ path: ":memory:" });
	await store.migrate();
	const calls: NewAuditEvent[][] = [];
	let failing = false;
	const wrapped: Store = {
		...store,
		async appendAudit(rows) {
			calls.push(rows);
			if (failing) throw new Error("database is locked");
			return store.appendAudit(rows);
		},
	};
	return {
		store: wrapped,
		calls,
		fail: (on: boolean) => {
			failing = on;
		},
		all: () => store.listAudit({ limit: 10_000 }),
		close: () => store.close(),
	};
}

describe("audit recorder", () => {
	const open: { stop(): Promise<void> }[] = [];
	afterEach(async () => {
		for (const r of open.splice(0)) await r.stop();
	});

	it("coalesces reads of one account (and route) into one row with a count", async () => {
		const db = await storeWithSwitch();
		let now = 1_000_000;
		const recorder = createAuditRecorder({
			store: db.store,
			now: () => now,
			logger: quiet,
			prune: false,
		});
		open.push(recorder);
		for (let i = 0; i < 500; i++) recorder.record(read("a"));
		recorder.record(read("a", "provider_refresh"));
		recorder.record(read("b"));
		now += 5;
		recorder.record(read("a"));
		await recorder.flush();
		const rows = await db.all();
		expect(
			rows.map((r) => [r.providerAccountId, r.reason, r.count, r.at]).sort(),
		).toEqual([
			["a", "access_token", 501, 1_000_000],
			["a", "provider_refresh", 1, 1_000_000],
			["b", "access_token", 1, 1_000_000],
		]);
		await db.close();
	});

	it("writes other entries within a second, and at once (next tick) at 100", async () => {
		const db = await storeWithSwitch();
		const recorder = createAuditRecorder({
			store: db.store,
			now: Date.now,
			logger: quiet,
			prune: false,
		});
		open.push(recorder);
		for (let i = 0; i < 99; i++)
			recorder.record({ kind: "token.refresh", provider: "google" });
		await new Promise((resolve) => setImmediate(resolve));
		// Nothing happens on the caller's stack or before the threshold.
		expect(db.calls).toHaveLength(0);
		recorder.record({ kind: "token.refresh", provider: "google" });
		expect(db.calls).toHaveLength(0);
		await new Promise((resolve) => setImmediate(resolve));
		await new Promise((resolve) => setImmediate(resolve));
		expect(db.calls.map((c) => c.length)).toEqual([100]);

		recorder.record({ kind: "account.unlinked", provider: "google" });
		await new Promise((resolve) => setTimeout(resolve, 1_300));
		expect(db.calls.map((c) => c.length)).toEqual([100, 1]);
		await db.close();
	});

	it("keeps entries through a store failure, and counts what overflows", async () => {
		const db = await storeWithSwitch();
		const recorder = createAuditRecorder({
			store: db.store,
			now: Date.now,
			logger: quiet,
			prune: false,
		});
		open.push(recorder);
		db.fail(true);
		recorder.record({ kind: "token.refresh", provider: "google" });
		await recorder.flush();
		expect(await db.all()).toEqual([]);
		db.fail(false);
		await recorder.flush();
		expect(await db.all()).toHaveLength(1);
		expect(recorder.dropped()).toBe(0);

		db.fail(true);
		for (let i = 0; i < 10_005; i++)
			recorder.record({ kind: "token.refresh", provider: "google" });
		expect(recorder.dropped()).toBe(5);
		await db.close();
	});

	it("never stores detail keys that could hold a secret; observers see every entry", async () => {
		const db = await storeWithSwitch();
		const seen: string[] = [];
		const recorder = createAuditRecorder({
			store: db.store,
			now: Date.now,
			logger: quiet,
			prune: false,
			observe: (entry) => {
				seen.push(entry.kind);
				throw new Error("a broken observer must not break recording");
			},
		});
		open.push(recorder);
		recorder.record({
			kind: "token.refresh_failed",
			detail: {
				error: "invalid_grant",
				accessToken: "at-1",
				refresh_token: "rt-1",
				clientSecret: "cs",
				code: "c",
				codeVerifier: "v",
				tokenTypeHint: "refresh_token",
			},
		});
		recorder.record(read("a"));
		await recorder.flush();
		const row = (await db.all()).find((r) => r.kind === "token.refresh_failed");
		expect(row?.detail).toEqual({
			error: "invalid_grant",
			tokenTypeHint: "refresh_token",
		});
		expect(seen).toEqual(["token.refresh_failed", "token.read"]);
		await db.close();
	});
});
