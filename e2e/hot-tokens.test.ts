import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUpstream, type Upstream } from "@tether/testkit";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestAccessToken } from "./support/access-token.ts";
import { signIn } from "./support/browser.ts";
import {
	createTestSchema,
	postgresSkipReason,
	postgresUrl,
} from "./support/postgres.ts";
import { sleep } from "./support/tally.ts";
import {
	freePort,
	startTetherProcess,
	type TetherProcess,
	upstreamOidc,
	writeTetherConfig,
} from "./support/tether-process.ts";

/**
 * Each process keeps the access tokens it served lately in memory (vault/hot-tokens.ts). These
 * runs check, with two real `tether start` processes on one database, that a change made
 * elsewhere is never served stale: an account unlinked through the other process, and rows
 * rewritten by a third writer (plain SQL, as another Tether version or an operator would): marked
 * for reauthorisation, or granted more scopes.
 */

const provider = "upstream";
const appUrl = "http://127.0.0.1:5999/app/";
const secretKey = `tsk_${randomBytes(24).toString("base64url")}`;
const encryptionKey = `hot1:${randomBytes(32).toString("base64")}`;

for (const database of ["sqlite", "postgres"] as const) {
	const skip = database === "postgres" && postgresUrl === undefined;
	describe.skipIf(skip)(
		`two processes on one ${database} database: a change in one is never served stale by the other${database === "postgres" ? postgresSkipReason : ""}`,
		() => {
			const cleanups: (() => Promise<unknown>)[] = [];
			let upstream: Upstream;
			let one: TetherProcess;
			let two: TetherProcess;
			let baseUrl: string;
			/** Writes to the database as neither process: what a third one would do. */
			let runSql: (sql: string) => Promise<unknown>;

			beforeAll(async () => {
				const ports = await Promise.all([freePort(), freePort()]);
				baseUrl = `http://127.0.0.1:${ports[0]}`;
				upstream = await startUpstream({
					redirectUris: [`${baseUrl}/v1/signin/provider/${provider}/callback`],
					extraScopes: ["read", "write"],
				});
				cleanups.push(() => upstream.close());
				const dir = mkdtempSync(join(tmpdir(), "tether-hot-"));
				cleanups.push(async () =>
					rmSync(dir, { recursive: true, force: true }),
				);
				const file = join(dir, "tether.db");
				let url = `sqlite:${file}`;
				runSql = async (sql) => {
					const db = new Database(file);
					db.pragma("busy_timeout = 5000");
					db.prepare(sql).run();
					db.close();
				};
				if (database === "postgres" && postgresUrl !== undefined) {
					const schema = await createTestSchema(postgresUrl, "tether_hot");
					cleanups.push(() => schema.drop());
					url = schema.url;
					runSql = (sql) =>
						schema.query(
							sql.replace("connected_accounts", "{schema}.connected_accounts"),
						);
				}
				const configPath = writeTetherConfig(join(dir, "tether.json"), {
					baseUrl,
					database: url,
					encryptionKeys: [encryptionKey],
					secretKeys: [secretKey],
					allowedRedirectUrls: [appUrl],
					proactiveRefresh: { enabled: false },
					providers: [upstreamOidc(provider, upstream)],
				});
				// One at a time: the first migrates, the second finds it done.
				one = await startTetherProcess({
					name: "one",
					configPath,
					port: ports[0] as number,
				});
				cleanups.push(() => one.kill());
				two = await startTetherProcess({
					name: "two",
					configPath,
					port: ports[1] as number,
				});
				cleanups.push(() => two.kill());
			}, 120_000);

			afterAll(async () => {
				for (const cleanup of cleanups.reverse())
					await cleanup().catch(() => {});
			}, 60_000);

			const ask = (target: TetherProcess, userId: string, account: string) =>
				requestAccessToken({
					process: target,
					secretKey,
					userId,
					provider,
					providerAccountId: account,
				});

			const scopesOf = async (
				target: TetherProcess,
				userId: string,
				account: string,
				scopes: string[],
			) => {
				const response = await fetch(
					`${target.url}/v1/connected-accounts/${userId}/${provider}/${account}/access-token`,
					{
						method: "POST",
						headers: {
							authorization: `Bearer ${secretKey}`,
							"content-type": "application/json",
						},
						body: JSON.stringify({ scopes }),
					},
				);
				return { status: response.status, body: await response.json() };
			};

			/** Signs `account` in; both processes then serve (and so keep) its token. */
			async function signedInAndServed(account: string): Promise<string> {
				const { userId } = await signIn({
					tetherUrl: baseUrl,
					provider,
					account,
					redirectTo: appUrl,
				});
				for (const target of [one, two, two])
					expect((await ask(target, userId, account)).status).toBe(200);
				return userId;
			}

			it("an account unlinked through one process is gone from the other", async () => {
				const userId = await signedInAndServed("una");
				const unlinked = await fetch(
					`${one.url}/v1/connected-accounts/${userId}/${provider}/una`,
					{
						method: "DELETE",
						headers: { authorization: `Bearer ${secretKey}` },
					},
				);
				expect(unlinked.status).toBe(204);
				// Another process's commit shows within about a millisecond (SQLite's data_version is
				// read at most once a millisecond; PostgreSQL's NOTIFY arrives on its own connection).
				await sleep(50);
				const answers = await Promise.all(
					Array.from({ length: 20 }, () => ask(two, userId, "una")),
				);
				expect(answers.map((a) => a.status)).toEqual(Array(20).fill(404));
			});

			it("an account marked for reconnection by a third writer is not served from memory", async () => {
				const userId = await signedInAndServed("rae");
				// What a refresh refused by the provider writes.
				await runSql(
					"UPDATE connected_accounts SET status = 'reauth_required', version = version + 1 WHERE provider_account_id = 'rae'",
				);
				await sleep(50);
				const answer = await ask(two, userId, "rae");
				expect(answer.status).not.toBe(200);
				expect(answer.code).toBe("OAUTH_ACCESS_TOKEN_NOT_AVAILABLE");
			});

			it("scopes granted by a third writer are served at once", async () => {
				const userId = await signedInAndServed("sol");
				const missing = await scopesOf(two, userId, "sol", ["read"]);
				expect(missing.status).toBe(409);
				expect(missing.body.details.reason).toBe("insufficient_scopes");
				// Widen the grant the way a reconnect does: a new version of the row.
				await runSql(
					'UPDATE connected_accounts SET scopes = \'["openid","email","profile","offline_access","read"]\', version = version + 1 WHERE provider_account_id = \'sol\'',
				);
				await sleep(50);
				const granted = await scopesOf(two, userId, "sol", ["read"]);
				expect(granted.status).toBe(200);
				expect(granted.body.scopes).toContain("read");
			});
		},
	);
}
