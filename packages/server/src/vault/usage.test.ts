import { describe, expect, it } from "vitest";
import { createSqliteStore, type Store } from "../store/index.ts";
import { createUsageTracker } from "./usage.ts";

describe("usage tracker", () => {
	it("writes a flush in slices, yielding to the event loop between them", async () => {
		const store = createSqliteStore({ path: ":memory:" });
		const calls: { ids: string[]; at: number }[] = [];
		const counting: Store = {
			...store,
			async markUsed(ids, at) {
				calls.push({ ids, at });
			},
		};
		const usage = createUsageTracker(counting, () => 42, 1_000);
		const ids = Array.from({ length: 600 }, (_, i) => `acc${i}`);
		for (const id of ids) usage.touch(id, null);
		usage.touch("acc0", null);
		// Something else waiting on the event loop runs between the slices, not after them all.
		let slicesBeforeOther = -1;
		const flushing = usage.flush();
		setImmediate(() => {
			slicesBeforeOther = calls.length;
		});
		await flushing;
		expect(slicesBeforeOther).toBe(1);
		expect(calls.map((c) => c.ids.length)).toEqual([250, 250, 100]);
		expect(calls.flatMap((c) => c.ids)).toEqual(ids);
		expect(new Set(calls.map((c) => c.at))).toEqual(new Set([42]));
		await usage.flush();
		expect(calls).toHaveLength(3);
		await usage.stop();
		await store.close();
	});

	it("writes an account once per resolution, whatever its row or a copy in memory says", async () => {
		const store = createSqliteStore({ path: ":memory:" });
		const written: string[] = [];
		const counting: Store = {
			...store,
			async markUsed(ids) {
				written.push(...ids);
			},
		};
		let clock = 10_000;
		const usage = createUsageTracker(counting, () => clock, 1_000);
		usage.touch("stored-lately", 9_500);
		usage.touch("stored-long-ago", 8_000);
		usage.touch("never", null);
		await usage.flush();
		expect(written.sort()).toEqual(["never", "stored-long-ago"]);
		// A row kept in memory still shows its old last use: the tracker remembers its own write.
		written.length = 0;
		clock = 10_500;
		usage.touch("stored-long-ago", 8_000);
		usage.touch("never", null);
		await usage.flush();
		expect(written).toEqual([]);
		clock = 11_001;
		usage.touch("stored-long-ago", 8_000);
		usage.touch("stored-lately", 9_500);
		await usage.flush();
		expect(written.sort()).toEqual(["stored-lately", "stored-long-ago"]);
		await usage.stop();
		await store.close();
	});
});
