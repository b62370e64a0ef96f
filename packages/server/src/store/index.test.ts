import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { createStore } from "./index.ts";

describe("createStore", () => {
	it("opens SQLite at a path relative to the working directory", async () => {
		const dir = mkdtempSync(join(tmpdir(), "tether-door-"));
		try {
			const file = join(dir, "sub", "tether.db");
			const store = createStore(`sqlite:${relative(process.cwd(), file)}`);
			expect(store.kind).toBe("sqlite");
			await store.migrate();
			await store.ping();
			await store.close();
			await store.close();
			expect(existsSync(file)).toBe(true);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it("opens an in-memory SQLite database", async () => {
		const store = createStore("sqlite::memory:");
		await store.migrate();
		expect(await store.getUser("nobody")).toBeNull();
		await store.close();
	});

	it("chooses PostgreSQL for both URL spellings without connecting", async () => {
		for (const url of [
			"postgres://u@127.0.0.1:1/db",
			"postgresql://u@127.0.0.1:1/db",
		]) {
			const store = createStore(url);
			expect(store.kind).toBe("postgres");
			await store.close();
		}
	});

	it("names an unsupported scheme without echoing credentials", () => {
		const attempt = () =>
			createStore("mysql://admin:hunter2@db.internal/tether");
		expect(attempt).toThrow(/"mysql:"/);
		expect(attempt).not.toThrow(/hunter2|admin/);
		expect(() => createStore("hunter2")).toThrow(/no scheme/);
		expect(() => createStore("hunter2")).not.toThrow(/hunter2/);
		expect(() => createStore("sqlite:")).toThrow(/needs a path/);
	});

	it("refuses a PostgreSQL schema that is not a plain identifier", () => {
		expect(() =>
			createStore("postgres://u@127.0.0.1:1/db", {
				schema: "x; DROP TABLE users",
			}),
		).toThrow(/lowercase identifier/);
	});
});
