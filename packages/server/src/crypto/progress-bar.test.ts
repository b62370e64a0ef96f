import { describe, expect, it } from "vitest";
import { renderProgress } from "./progress-bar.ts";

describe("renderProgress", () => {
	it("draws the bar, the percentage and the counts", () => {
		expect(
			renderProgress({ table: "revocations", done: 250, total: 1000 }),
		).toBe("revocations        [######------------------]  25% 250/1000 ");
	});

	it("treats a table with nothing to do as complete", () => {
		expect(
			renderProgress({ table: "oauth_flows", done: 0, total: 0 }),
		).toContain(`[${"#".repeat(24)}] 100% 0/0`);
	});

	it("keeps one width through a table, so a \\r rewrite leaves no residue", () => {
		const widths = new Set(
			[0, 7, 99, 1000].map(
				(done) =>
					renderProgress({ table: "connected_accounts", done, total: 1000 })
						.length,
			),
		);
		expect(widths.size).toBe(1);
	});

	it("clamps counts that overshoot or go negative", () => {
		expect(renderProgress({ table: "t", done: 12, total: 10 })).toContain(
			"100% 10/10",
		);
		expect(renderProgress({ table: "t", done: -1, total: 10 })).toContain(
			"  0% 0/10",
		);
	});
});
