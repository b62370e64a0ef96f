import { describe, expect, it } from "vitest";
import { createResourceCache } from "../src/resource-cache.ts";

/** What a Suspense read throws while loading: the promise to wait for. */
async function settle(read: () => unknown): Promise<unknown> {
	for (;;) {
		try {
			return read();
		} catch (thrown) {
			if (!(thrown instanceof Promise)) throw thrown;
			await thrown;
		}
	}
}

describe("the React layer's resource cache", () => {
	it("suspends on the first read, then serves the value without loading again", async () => {
		const cache = createResourceCache();
		let loads = 0;
		const load = async () => ++loads;
		expect(() => cache.read("k", load)).toThrow(Promise);
		expect(await settle(() => cache.read("k", load))).toBe(1);
		expect(cache.read("k", load)).toBe(1);
		expect(loads).toBe(1);
	});

	it("refreshes in place: readers keep the old value until the new one lands, and are told", async () => {
		const cache = createResourceCache();
		let loads = 0;
		const load = async () => ++loads;
		await settle(() => cache.read("accounts:u1:", load));
		let told = 0;
		cache.subscribe(() => told++);
		cache.refresh("accounts:u1:");
		expect(cache.read("accounts:u1:", load)).toBe(1);
		await new Promise((r) => setTimeout(r, 0));
		expect(cache.read("accounts:u1:", load)).toBe(2);
		expect(told).toBeGreaterThan(0);
		cache.refresh("accounts:u2:");
		expect(loads).toBe(2);
	});

	it("throws a failed load once, then loads again on the next read (an error boundary's retry)", async () => {
		const cache = createResourceCache();
		let fail = true;
		const load = async () => {
			if (fail) throw new Error("provider down");
			return "token";
		};
		await expect(settle(() => cache.read("t", load))).rejects.toThrow(
			"provider down",
		);
		fail = false;
		expect(await settle(() => cache.read("t", load))).toBe("token");
	});

	it("loads again in the background when the value says it is due", async () => {
		let clock = 0;
		const cache = createResourceCache(() => clock);
		let loads = 0;
		const load = async () => ++loads;
		await settle(() =>
			cache.read("t", load, { refreshAt: () => clock + 1000 }),
		);
		await new Promise((r) => setTimeout(r, 1100));
		clock += 1100;
		expect(cache.read("t", load)).toBe(2);
		cache.clear();
	});

	it("keeps a still-usable value when a background reload fails, and tries again", async () => {
		let clock = 0;
		const cache = createResourceCache(() => clock);
		let loads = 0;
		let down = false;
		const load = async () => {
			loads++;
			if (down) throw new Error("provider down");
			return `token ${loads}`;
		};
		const usableUntil = () => 60_000;
		await settle(() => cache.read("t", load, { usableUntil }));
		down = true;
		cache.refresh("t");
		await new Promise((r) => setTimeout(r, 0));
		expect(cache.read("t", load, { usableUntil })).toBe("token 1");
		expect(loads).toBe(2);
		down = false;
		await new Promise((r) => setTimeout(r, 5100));
		expect(loads).toBe(3);
		expect(cache.read("t", load, { usableUntil })).toBe("token 3");

		// Once the value is past its use, a failed reload is thrown as before.
		clock = 60_000;
		down = true;
		cache.refresh("t");
		await new Promise((r) => setTimeout(r, 0));
		expect(() => cache.read("t", load, { usableUntil })).toThrow(
			"provider down",
		);
		cache.clear();
	}, 10_000);
});
