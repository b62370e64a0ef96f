import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newTimeOrderedId } from "../auth/random.ts";
import { createSqliteStore } from "./sqlite.ts";
import { startCheckpointer } from "./sqlite-checkpointer.ts";
import type { NewAuditEvent, Store } from "./types.ts";

describe("SQLite checkpoints from a worker thread", () => {
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
		const checkpointer = startCheckpointer(db, file);
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
			await checkpointer.stop();
		}
		expect(autocheckpoint()).toBe(1000);
		db.close();
	});

	it("a worker that cannot run hands checkpoints back to the main connection", async () => {
		const db = new Database(file);
		const checkpointer = startCheckpointer(db, join(dir, "missing", "x.db"));
		expect(
			await until(
				() => db.pragma("wal_autocheckpoint", { simple: true }) === 1000,
			),
		).toBe(true);
		await checkpointer.stop();
		db.close();
	});

	it("a checkpoint is not a change the access-token cache hears of", async () => {
		const watch = store.watchAccounts(() => {});
		try {
			const mark = watch.mark();
			expect(mark).not.toBeNull();
			const before = statSync(file).size;
			await store.appendAudit(bulkyRows(1_500));
			expect(await until(() => statSync(file).size > before)).toBe(true);
			// The mark is read at most once a millisecond.
			await new Promise((resolve) => setTimeout(resolve, 5));
			expect(watch.mark()).toBe(mark);
		} finally {
			await watch.stop();
		}
	});

	it("a script that closes its store exits normally, the worker stopped", () => {
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
