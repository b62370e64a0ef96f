import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

/** `npm run e2e:chaos`: the full chaos run only (it restarts PostgreSQL; never part of `npm test`). */
export default defineConfig({
	test: {
		root: resolve(import.meta.dirname, "../.."),
		include: ["e2e/chaos/**/*.slow.test.ts"],
		env: {
			TETHER_TEST_DATABASE_URL:
				process.env.TETHER_TEST_DATABASE_URL ??
				"postgres://postgres@127.0.0.1:5432/test",
		},
		pool: "forks",
		maxWorkers: 1,
		testTimeout: 1_800_000,
		hookTimeout: 120_000,
	},
});
