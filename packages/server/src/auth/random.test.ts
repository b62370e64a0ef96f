import { describe, expect, it } from "vitest";
import { newId, newTimeOrderedId } from "./random.ts";

describe("ids", () => {
	it("are distinct across refills of the random pool, each with 96 random bits", () => {
		const ids = Array.from({ length: 2_000 }, () => newId("usr"));
		expect(new Set(ids).size).toBe(ids.length);
		for (const id of ids) expect(id).toMatch(/^usr_[A-Za-z0-9_-]{16}$/);
	});

	it("time-ordered ones sort by their time, whatever their random part", () => {
		const times = [0, 1, 35, 36, 1_000, 1_700_000_000_000, 1_700_000_000_001];
		const ids = times.map((at) => newTimeOrderedId("aud", at));
		expect([...ids].sort()).toEqual(ids);
		for (const id of ids)
			expect(id).toMatch(/^aud_[0-9a-z]{9}[A-Za-z0-9_-]{12}$/);
		const same = Array.from({ length: 100 }, () => newTimeOrderedId("aud", 5));
		expect(new Set(same).size).toBe(100);
	});
});
