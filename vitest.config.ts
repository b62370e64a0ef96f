import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		include: [
			"packages/*/src/**/*.test.ts",
			"packages/*/test/**/*.test.ts",
			"apps/*/src/**/*.test.ts",
			"apps/*/test/**/*.test.ts",
			"e2e/**/*.test.ts",
		],
		exclude: ["**/node_modules/**", "e2e/**/*.slow.test.ts"],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		// Suites start real servers and databases; two cores are plenty busy with two forks.
		pool: "forks",
		maxWorkers: 2,
	},
});
