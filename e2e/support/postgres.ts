import { randomBytes } from "node:crypto";
import pg from "pg";

/** PostgreSQL for whole-system tests, when the environment offers one. */
export const postgresUrl = process.env.TETHER_TEST_DATABASE_URL;

/** Appended to a suite's title, so a skip is never silent. */
export const postgresSkipReason =
	postgresUrl === undefined
		? " (skipped: TETHER_TEST_DATABASE_URL not set; needs PostgreSQL)"
		: "";

export interface TestSchema {
	schema: string;
	/**
	 * A `postgres://` URL whose connections use only this schema. Tether's config has no schema
	 * field; `pg` passes the URL's `options` parameter to the server as startup options, so
	 * `-c search_path=<schema>` puts every table of every process in the throwaway schema.
	 */
	url: string;
	query(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
	/** Drops the schema and everything in it, and closes the admin connections. */
	drop(): Promise<void>;
}

/**
 * A fresh, empty schema. Created here because Tether's `migrate()` only creates the schema it
 * is given as a store option; given the URL alone, it migrates into whatever search_path says.
 */
export async function createTestSchema(
	baseUrl: string,
	prefix = "tether_e2e",
): Promise<TestSchema> {
	const schema = `${prefix}_${randomBytes(5).toString("hex")}`;
	// A pool, not one client: it survives a PostgreSQL restart (the chaos run restarts the
	// cluster), replacing dead connections on the next query instead of crashing on their error.
	const admin = new pg.Pool({ connectionString: baseUrl, max: 2 });
	admin.on("error", () => {});
	try {
		await admin.query(`CREATE SCHEMA ${schema}`);
	} catch (error) {
		await admin.end();
		throw error;
	}
	const url = new URL(baseUrl);
	const existing = url.searchParams.get("options");
	url.searchParams.set(
		"options",
		`${existing === null ? "" : `${existing} `}-c search_path=${schema}`,
	);
	let dropped = false;
	return {
		schema,
		url: url.toString(),
		async query(text, values = []) {
			const result = await admin.query<Record<string, unknown>>(
				text.replaceAll("{schema}", schema),
				values,
			);
			return result.rows;
		},
		async drop() {
			if (dropped) return;
			dropped = true;
			try {
				await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
			} finally {
				await admin.end();
			}
		},
	};
}
