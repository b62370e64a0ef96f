import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newTimeOrderedId } from "../auth/random.ts";
import { createSqliteStore } from "./sqlite.ts";
import { startSqliteWorker } from "./sqlite-worker.ts";
import type { NewAuditEvent, Store } from "./types.ts";

describe("SQLite's worker thread", () => {
	let dir: string;
	let file: string;
	let store: Store;

	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), "tether-checkpoint-"));
		file = join(dir, "tether.db");
		store = createSqliteStore({ path: file });
		await store.migrate();
	});

	afterEach(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	/** About a page each: 1,500 of them take the log well past SQLite's 1,000-page checkpoint. */
	const bulkyRows = (count: number): NewAuditEvent[] =>
		Array.from({ length: count }, (_, i) => ({
			id: newTimeOrderedId("aud", 1_000 + i),
			at: 1_000 + i,
			kind: "token.read",
			userId: `usr_${i}`,
			providerConfigId: "p",
			providerAccountId: `a${i}`,
			reason: "access_token",
			count: 1,
			detail: { note: "x".repeat(3_000) },
		}));

	async function until(ok: () => boolean): Promise<boolean> {
		const giveUpAt = Date.now() + 5_000;
		while (!ok()) {
			if (Date.now() > giveUpAt) return false;
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		return true;
	}

	it("the main connection stops checkpointing; the worker copies the log back soon after", async () => {
		const db = new Database(file);
		db.pragma("journal_mode = WAL");
		const autocheckpoint = () =>
			db.pragma("wal_autocheckpoint", { simple: true });
		const worker = startSqliteWorker(db, file, 5_000);
		try {
			expect(autocheckpoint()).toBe(0);
			const before = statSync(file).size;
			db.exec("CREATE TABLE filler (x TEXT)");
			const insert = db.prepare("INSERT INTO filler VALUES (?)");
			for (let i = 0; i < 1_500; i++) insert.run("x".repeat(3_000));
			expect(
				await until(() => statSync(file).size > before + 1_000 * 4096),
			).toBe(true);
		} finally {
			await worker.stop();
		}
		expect(autocheckpoint()).toBe(1000);
		db.close();
	});

	it("runs a batch in one transaction on its own connection, and reports a failed one", async () => {
		const db = new Database(file);
		db.pragma("journal_mode = WAL");
		db.exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)");
		const worker = startSqliteWorker(db, file, 5_000);
		try {
			const rows = Array.from({ length: 50 }, (_, i) => ({ k: `k${i}`, v: i }));
			await worker.run("INSERT INTO kv (k, v) VALUES (@k, @v)", rows);
			// Settled means committed: the main connection sees every row.
			expect(db.prepare("SELECT COUNT(*) FROM kv").pluck().get()).toBe(50);
			// One bad row fails the whole batch, with SQLite's code.
			await expect(
				worker.run("INSERT INTO kv (k, v) VALUES (@k, @v)", [
					{ k: "new", v: 1 },
					{ k: "k0", v: 2 },
				]),
			).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
			expect(db.prepare("SELECT COUNT(*) FROM kv").pluck().get()).toBe(50);
		} finally {
			await worker.stop();
		}
		// Stopped: batches are the caller's to write again.
		expect(
			worker.run("INSERT INTO kv (k, v) VALUES (@k, @v)", []),
		).toBeUndefined();
		db.close();
	});

	it("a worker that cannot run hands checkpoints back to the main connection", async () => {
		const db = new Database(file);
		const worker = startSqliteWorker(db, join(dir, "missing", "x.db"), 5_000);
		expect(
			await until(
				() => db.pragma("wal_autocheckpoint", { simple: true }) === 1000,
			),
		).toBe(true);
		expect(worker.run("SELECT 1", [{}])).toBeUndefined();
		await worker.stop();
		db.close();
	});

	it("a checkpoint is not a change the access-token cache hears of", async () => {
		const watch = store.watchAccounts(() => {});
		try {
			const mark = watch.mark();
			expect(mark).not.toBeNull();
			const before = statSync(file).size;
			// Written on the main connection (its own commits never move its mark), then copied
			// back by the worker.
			for (let i = 0; i < 1_500; i++)
				await store.insertUser({
					id: `usr_${i}`,
					externalId: null,
					email: null,
					displayName: "x".repeat(3_000),
					createdAt: i,
					updatedAt: i,
				});
			expect(await until(() => statSync(file).size > before)).toBe(true);
			// The mark is read at most once a millisecond.
			await new Promise((resolve) => setTimeout(resolve, 5));
			expect(watch.mark()).toBe(mark);
		} finally {
			await watch.stop();
		}
	});

	it("the store writes the audit log on the worker's connection: another connection's commit", async () => {
		const watch = store.watchAccounts(() => {});
		try {
			const mark = watch.mark();
			const rows = bulkyRows(10);
			await store.appendAudit(rows);
			await new Promise((resolve) => setTimeout(resolve, 5));
			// The access-token cache treats it as any other connection's commit: it refills.
			expect(watch.mark()).not.toBe(mark);
			expect(await store.listAudit({ limit: 20 })).toHaveLength(10);
			// Written twice (a retry after an unclear failure): still one row each.
			await store.appendAudit(rows);
			expect(await store.listAudit({ limit: 20 })).toHaveLength(10);
		} finally {
			await watch.stop();
		}
	});

	it("a script that closes its store exits normally, its worker stopped", () => {
		const storeModule = fileURLToPath(new URL("./sqlite.ts", import.meta.url));
		const script = `
const { createSqliteStore } = await import(${JSON.stringify(storeModule)});
const store = createSqliteStore({ path: ${JSON.stringify(join(dir, "script.db"))} });
await store.migrate();
await store.close();
console.log("closed");
`;
		const out = execFileSync(
			process.execPath,
			["--import", "tsx", "--input-type=module", "-e", script],
			{ encoding: "utf8", timeout: 30_000 },
		);
		expect(out.trim()).toBe("closed");
	});
});
