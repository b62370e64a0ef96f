import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUpstream, type Upstream } from "@tether/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	accountStatus,
	requestAccessToken,
	type TokenAnswer,
} from "./support/access-token.ts";
import { signIn } from "./support/browser.ts";
import { judgeRound, type RoundVerdict } from "./support/herd-round.ts";
import {
	createTestSchema,
	postgresSkipReason,
	postgresUrl,
	type TestSchema,
} from "./support/postgres.ts";
import { sleep, tally, within } from "./support/tally.ts";
import {
	freePort,
	startTetherProcess,
	type TetherProcess,
	upstreamOidc,
	writeTetherConfig,
} from "./support/tether-process.ts";
import { startTokenProxy, type TokenProxy } from "./support/token-proxy.ts";

/**
 * SPEC.md, "Access-token rules" and "Quality bars": however many callers, processes and machines
 * ask at once, one refresh per account reaches the provider, and with a provider that rotates
 * refresh tokens and revokes the grant on reuse, no account is ever lost — not even when the
 * process holding the refresh lease dies mid-refresh.
 */

const rounds = 20;
const perProcess = 100;
const provider = "upstream";
const appUrl = "http://127.0.0.1:5999/app/";
const secretKey = `tsk_${randomBytes(24).toString("base64url")}`;
const encryptionKey = `e2e1:${randomBytes(32).toString("base64")}`;
/**
 * Keeps the lease short: the engine's lease is `providerTimeoutSeconds + 5` seconds (the
 * lease-holder test reads the actual expiry from the row rather than assuming it).
 */
const providerTimeoutSeconds = 2;
const refreshMarginSeconds = 1;
const marginMs = refreshMarginSeconds * 1000;

describe.skipIf(postgresUrl === undefined)(
	`herd: 3 Tether processes on one PostgreSQL, a strictly rotating upstream with 2-second tokens${postgresSkipReason}`,
	() => {
		/** Undone in reverse order in afterAll, whatever failed. */
		const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
		let upstream: Upstream;
		let proxy: TokenProxy;
		let db: TestSchema;
		const tethers: TetherProcess[] = [];

		beforeAll(async () => {
			if (postgresUrl === undefined) return;
			const ports = await Promise.all([freePort(), freePort(), freePort()]);
			// Every process shares one config, so one baseUrl: the provider's redirect URI comes from
			// it, and the browser signs in through the process it names (#1).
			const baseUrl = `http://127.0.0.1:${ports[0]}`;
			upstream = await startUpstream({
				redirectUris: [`${baseUrl}/v1/signin/provider/${provider}/callback`],
				accessTokenTtlSeconds: 2,
			});
			cleanups.push({ name: "upstream", run: () => upstream.close() });
			proxy = await startTokenProxy(upstream.endpoints.tokenEndpoint);
			cleanups.push({ name: "token proxy", run: () => proxy.close() });
			db = await createTestSchema(postgresUrl, "tether_herd");
			cleanups.push({ name: "schema", run: () => db.drop() });

			const dir = mkdtempSync(join(tmpdir(), "tether-herd-"));
			cleanups.push({
				name: "config dir",
				run: async () => rmSync(dir, { recursive: true, force: true }),
			});
			const configPath = writeTetherConfig(join(dir, "tether.json"), {
				baseUrl,
				database: db.url,
				encryptionKeys: [encryptionKey],
				secretKeys: [secretKey],
				allowedRedirectUrls: [appUrl],
				refreshMarginSeconds,
				providerTimeoutSeconds,
				// Background refreshes would reach the provider between rounds and blur the count
				// this suite is about; the herd is the only thing that may refresh here.
				proactiveRefresh: { enabled: false },
				providers: [
					// Discovery, sign-in pages and userinfo go straight to the upstream; token calls
					// go through the proxy, which can hold one refresh (see the lease-holder test).
					upstreamOidc(provider, upstream, { tokenEndpoint: proxy.url }),
				],
			});

			// Settled, not raced: a process that fails to start must not leave its siblings
			// starting unwatched after the hook has given up.
			const starts = await Promise.allSettled(
				ports.map(async (port, index) => {
					const started = await startTetherProcess({
						name: `tether-${index + 1}`,
						configPath,
						port,
					});
					cleanups.push({ name: started.name, run: () => started.kill() });
					return started;
				}),
			);
			for (const start of starts) {
				if (start.status === "rejected") throw start.reason;
				tethers.push(start.value);
			}
		}, 120_000);

		afterAll(async () => {
			const failures: string[] = [];
			for (const cleanup of cleanups.reverse()) {
				try {
					await cleanup.run();
				} catch (error) {
					failures.push(
						`${cleanup.name}: ${error instanceof Error ? error.message : String(error)}`,
					);
				}
			}
			if (failures.length > 0)
				throw new Error(`cleanup failed:\n${failures.join("\n")}`);
		}, 60_000);

		const tether = (n: 1 | 2 | 3): TetherProcess => {
			const found = tethers[n - 1];
			if (found === undefined) throw new Error(`tether-${n} did not start`);
			return found;
		};

		/** One access-token call; a dead connection is an answer with status 0, not a throw. */
		const ask = (
			target: TetherProcess,
			userId: string,
			account: string,
		): Promise<TokenAnswer> =>
			requestAccessToken({
				process: target,
				secretKey,
				userId,
				provider,
				providerAccountId: account,
			}).catch((error: unknown) => ({
				process: target.name,
				status: 0,
				accessToken: undefined,
				expiresAt: undefined,
				code:
					error instanceof Error
						? error.cause instanceof Error
							? error.cause.message
							: error.message
						: String(error),
				ms: 0,
			}));

		const herd = (
			targets: TetherProcess[],
			n: number,
			userId: string,
			account: string,
		) =>
			Promise.all(
				targets.flatMap((target) =>
					Array.from({ length: n }, () => ask(target, userId, account)),
				),
			);

		const byOutcome = (answers: TokenAnswer[]) =>
			tally(
				answers,
				(a) =>
					`${a.process} ${a.status}${a.code === undefined ? "" : ` ${a.code}`}`,
			);

		/** The one token every answer carries (the assertions have checked there is one). */
		const tokenOf = (answers: TokenAnswer[]) => {
			const first = answers[0];
			if (first?.accessToken === undefined || first.expiresAt === undefined)
				throw new Error("no token in the answers");
			return { accessToken: first.accessToken, expiresAt: first.expiresAt };
		};

		const expectNoGrantLost = () => {
			expect(upstream.counters.grantsRevoked).toBe(0);
			expect(upstream.counters.invalidGrants).toBe(0);
		};

		it(`${rounds} rounds of ${perProcess} concurrent requests at each of 3 processes for an expired token: one refresh per round, never one while a fresh token exists`, async () => {
			const account = "hera";
			const { userId } = await signIn({
				tetherUrl: tether(1).url,
				provider,
				account,
				redirectTo: appUrl,
			});
			const all = [tether(1), tether(2), tether(3)];
			// Warm-up, not counted: the first herds pay for JIT, PostgreSQL pool connections and client
			// sockets, and would otherwise often overrun the 1-second freshness window (see judgeRound).
			for (let i = 0; i < 3; i++) {
				const warm = await herd(all, perProcess, userId, account);
				expect(tally(warm, (a) => String(a.status))).toEqual({ "200": 300 });
			}
			expectNoGrantLost();
			const first = await ask(tether(1), userId, account);
			expect(first.status).toBe(200);
			let current = tokenOf([first]);
			const figures: (RoundVerdict & { ms: number; slowestMs: number })[] = [];
			const started = Date.now();

			for (let round = 1; round <= rounds; round++) {
				// Past the expiry itself, not just the margin: the provider must be asked.
				await sleep(current.expiresAt + 50 - Date.now());
				const refreshesBefore = upstream.counters.tokenRequests.refresh_token;
				const forwardedBefore = proxy.forwardedRefreshes.length;
				const roundStartedAt = Date.now();
				const answers = await herd(all, perProcess, userId, account);
				const roundEndedAt = Date.now();
				const refreshes =
					upstream.counters.tokenRequests.refresh_token - refreshesBefore;
				const verdict = judgeRound({
					answers,
					refreshesSentAt: proxy.forwardedRefreshes.slice(forwardedBefore),
					roundStartedAt,
					roundEndedAt,
					marginMs,
				});
				figures.push({
					...verdict,
					ms: roundEndedAt - roundStartedAt,
					slowestMs: Math.round(Math.max(...answers.map((a) => a.ms))),
				});
				const where = `round ${round} (${roundEndedAt - roundStartedAt} ms; refreshes sent at ${verdict.refreshSentMs.join(", ")} ms; tokens ${JSON.stringify(verdict.tokens)})`;

				expect(byOutcome(answers), where).toEqual({
					"tether-1 200": perProcess,
					"tether-2 200": perProcess,
					"tether-3 200": perProcess,
				});
				expect(
					{
						refreshes,
						refreshesWhileFresh: verdict.refreshesWhileFresh,
						tokensServed: verdict.tokens.length,
						previousTokenServed: answers.some(
							(a) => a.accessToken === current.accessToken,
						),
					},
					where,
				).toEqual({
					// One, unless the herd outlasted the new token's fresh second (no round did on an idle 2-core box).
					refreshes: verdict.overran ? refreshes : 1,
					refreshesWhileFresh: 0,
					tokensServed: refreshes,
					previousTokenServed: false,
				});
				expect(refreshes, where).toBeGreaterThanOrEqual(1);
				expectNoGrantLost();
				const newest = verdict.tokens.at(-1);
				const newestAnswer = answers.find(
					(a) => a.expiresAt === newest?.expiresAt,
				);
				current = tokenOf(newestAnswer === undefined ? [] : [newestAnswer]);
			}

			const column = (pick: (f: (typeof figures)[number]) => number) =>
				figures.map(pick).join(",");
			console.log(
				[
					`herd: ${rounds} rounds × ${3 * perProcess} requests in ${Date.now() - started} ms`,
					`  upstream refreshes per round: ${column((f) => f.refreshSentMs.length)}`,
					`  rounds that overran the 1-s freshness window: ${figures.filter((f) => f.overran).length}`,
					`  round duration ms:            ${column((f) => f.ms)}`,
					`  refresh sent at ms:           ${column((f) => f.refreshSentMs[0] ?? -1)}`,
					`  slowest request ms:           ${column((f) => f.slowestMs)}`,
					`  "refreshed" log lines by process (warm-up included): ${JSON.stringify(
						Object.fromEntries(
							all.map((t) => [t.name, t.countLog("refreshed")]),
						),
					)}`,
				].join("\n"),
			);
			expect(
				await accountStatus({
					url: tether(3).url,
					secretKey,
					userId,
					provider,
					providerAccountId: account,
				}),
			).toBe("active");
		}, 150_000);

		it("the lease holder SIGKILLed mid-refresh: the others wait out its lease, refresh once, and the account lives on", async () => {
			const account = "kato";
			const { userId } = await signIn({
				tetherUrl: tether(1).url,
				provider,
				account,
				redirectTo: appUrl,
			});
			const first = await ask(tether(1), userId, account);
			expect(first.status).toBe(200);
			await sleep(tokenOf([first]).expiresAt + 50 - Date.now());

			// The proxy holds #2's refresh and never forwards it: it is dropped once #2 is dead.
			// Forwarding first would be the other case, where the upstream rotates the refresh token
			// and the answer dies with #2: the stored refresh token is then spent and, with reuse
			// detection, the next refresh revokes the grant. No lease can save that — only the
			// provider's own grace period could — so this test pins down what Tether controls: a
			// dead holder's lease is waited out, never broken early, and the refresh it never
			// finished happens exactly once, afterwards, by one survivor.
			const refreshesBefore = upstream.counters.tokenRequests.refresh_token;
			const forwardedBefore = proxy.forwardedRefreshes.length;
			const holding = proxy.holdNextRefresh();
			const doomed = herd([tether(2)], 20, userId, account);
			const held = await within(
				holding,
				15_000,
				"no refresh from tether-2 reached the proxy",
			);
			const [lease] = await db.query(
				"SELECT lease_owner, lease_expires_at FROM {schema}.connected_accounts WHERE provider_account_id = $1",
				[account],
			);
			expect(typeof lease?.lease_owner).toBe("string");
			const leaseExpiresAt = Number(lease?.lease_expires_at);
			expect(leaseExpiresAt).toBeGreaterThan(Date.now());

			await tether(2).kill("SIGKILL");
			await within(
				held.callerGone,
				5_000,
				"tether-2's connection to the proxy outlived it",
			);
			held.drop();
			expect(
				tally(await doomed, (a) => String(a.status)),
				"nobody got an answer from the killed process",
			).toEqual({ "0": 20 });
			expect(upstream.counters.tokenRequests.refresh_token).toBe(
				refreshesBefore,
			);

			const survivorsStarted = Date.now();
			const answers = await herd([tether(1), tether(3)], 50, userId, account);
			const waitedMs = Date.now() - survivorsStarted;
			expect(byOutcome(answers)).toEqual({
				"tether-1 200": 50,
				"tether-3 200": 50,
			});
			expect(new Set(answers.map((a) => a.accessToken)).size).toBe(1);
			expect(
				upstream.counters.tokenRequests.refresh_token - refreshesBefore,
			).toBe(1);
			const forwarded = proxy.forwardedRefreshes.slice(forwardedBefore);
			expect(forwarded).toHaveLength(1);
			// The dead holder's lease was honoured to its end (same machine, same clock).
			expect(forwarded[0]).toBeGreaterThanOrEqual(leaseExpiresAt);
			expect(proxy.dropped).toBe(1);
			expectNoGrantLost();
			for (const survivor of [tether(1), tether(3)]) {
				expect(
					await accountStatus({
						url: survivor.url,
						secretKey,
						userId,
						provider,
						providerAccountId: account,
					}),
				).toBe("active");
			}

			// And it keeps working: at the next expiry the rotated refresh token is accepted.
			await sleep(tokenOf(answers).expiresAt + 50 - Date.now());
			const forwardedAgain = proxy.forwardedRefreshes.length;
			const againStartedAt = Date.now();
			const again = await herd([tether(1), tether(3)], 50, userId, account);
			const verdict = judgeRound({
				answers: again,
				refreshesSentAt: proxy.forwardedRefreshes.slice(forwardedAgain),
				roundStartedAt: againStartedAt,
				roundEndedAt: Date.now(),
				marginMs,
			});
			expect(byOutcome(again)).toEqual({
				"tether-1 200": 50,
				"tether-3 200": 50,
			});
			expect(verdict.refreshesWhileFresh).toBe(0);
			expect(verdict.refreshSentMs.length).toBe(
				verdict.overran ? verdict.refreshSentMs.length : 1,
			);
			expectNoGrantLost();
			console.log(
				`lease holder killed: survivors (100 requests at #1 and #3) answered after ${waitedMs} ms; ` +
					`refresh forwarded ${forwarded[0] === undefined ? "?" : forwarded[0] - leaseExpiresAt} ms after the lease expired, ` +
					`${Math.round((leaseExpiresAt - held.heldAt) / 100) / 10} s after the held request`,
			);
		}, 90_000);
	},
);
