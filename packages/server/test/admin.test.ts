import {
	createServer as createHttpServer,
	request as httpRequest,
	type IncomingHttpHeaders,
} from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { type FaultProvider, startFaultProvider } from "@tether/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopbackAddress } from "../src/http/admin-access.ts";
import { listen } from "../src/listen.ts";
import {
	api,
	appUrl,
	completeLink,
	createBrowser,
	databases,
	faultProvider,
	postgresSkipReason,
	type SessionBody,
	secretKey,
	startTestTether,
	type TestTether,
	upstreamProvider,
} from "./harness.ts";

const adminSecret = `adm_${"k".repeat(40)}`;
const adminHeaders = { authorization: `Bearer ${adminSecret}` };
const webhookSecret = `whsec_${Buffer.alloc(24, 6).toString("base64")}`;

const admin = (
	tether: TestTether,
	method: string,
	path: string,
	headers: Record<string, string> = adminHeaders,
) => api(tether, method, path, { headers });

/** A GET with headers `fetch` will not let a test set (`Host`), to any address. */
function rawGet(input: {
	host: string;
	port: number;
	path: string;
	headers: Record<string, string>;
}): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(
			{
				host: input.host,
				port: input.port,
				path: input.path,
				headers: input.headers,
			},
			(res) => {
				let body = "";
				res.setEncoding("utf8");
				res.on("data", (chunk) => {
					body += chunk;
				});
				res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
			},
		);
		req.on("error", reject);
		req.end();
	});
}

interface Sample {
	name: string;
	labels: Record<string, string>;
	value: number;
}

/** A strict reader of the Prometheus text format: any line it cannot read fails the test. */
function parsePrometheus(text: string): {
	types: Map<string, string>;
	samples: Sample[];
} {
	expect(text.endsWith("\n")).toBe(true);
	const types = new Map<string, string>();
	const samples: Sample[] = [];
	const name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
	for (const line of text.slice(0, -1).split("\n")) {
		if (line.startsWith("# HELP ")) {
			expect(line).toMatch(new RegExp(`^# HELP ${name} \\S`));
			continue;
		}
		if (line.startsWith("# TYPE ")) {
			const match = new RegExp(
				`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`,
			).exec(line);
			expect(match, line).not.toBeNull();
			const [, family = "", type = ""] = match ?? [];
			expect(types.has(family), `TYPE twice: ${family}`).toBe(false);
			types.set(family, type);
			continue;
		}
		const match = new RegExp(`^(${name})(?:\\{(.*)\\})? (\\S+)$`).exec(line);
		expect(match, line).not.toBeNull();
		const [, sampleName = "", rawLabels = "", rawValue = ""] = match ?? [];
		const labels: Record<string, string> = {};
		const labelPattern =
			/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
		while (labelPattern.lastIndex < rawLabels.length) {
			const at = labelPattern.lastIndex;
			const label = labelPattern.exec(rawLabels);
			expect(label, `labels of ${line} at ${at}`).not.toBeNull();
			if (label === null) break;
			labels[label[1] ?? ""] = (label[2] ?? "").replace(/\\(.)/g, (_, c) =>
				c === "n" ? "\n" : c,
			);
		}
		const value =
			rawValue === "+Inf" ? Number.POSITIVE_INFINITY : Number(rawValue);
		expect(Number.isNaN(value) && rawValue !== "NaN", line).toBe(false);
		const family = sampleName.replace(/_(bucket|sum|count)$/, "");
		expect(
			types.has(sampleName) || types.get(family) === "histogram",
			`no TYPE for ${sampleName}`,
		).toBe(true);
		samples.push({ name: sampleName, labels, value });
	}
	return { types, samples };
}

function sampleOf(
	samples: Sample[],
	name: string,
	labels: Record<string, string>,
): number | undefined {
	return samples.find(
		(s) =>
			s.name === name &&
			Object.entries(labels).every(([k, v]) => s.labels[k] === v),
	)?.value;
}

function totals(stats: {
	buckets: { counts: Record<string, number> }[];
}): Record<string, number> {
	const out: Record<string, number> = {};
	for (const bucket of stats.buckets)
		for (const [kind, n] of Object.entries(bucket.counts))
			out[kind] = (out[kind] ?? 0) + n;
	return out;
}

describe.each(databases)(
	`admin API, audit log and metrics on %s${postgresSkipReason}`,
	(database) => {
		let tether: TestTether;
		const received: { body: string; headers: IncomingHttpHeaders }[] = [];
		const receiver = createHttpServer((req, res) => {
			let body = "";
			req.on("data", (chunk) => {
				body += chunk;
			});
			req.on("end", () => {
				received.push({ body, headers: req.headers });
				res.writeHead(204).end();
			});
		});
		/** Every token and id the tests saw, for the sweeps of metrics and admin answers. */
		const seen = { tokens: new Set<string>(), ids: new Set<string>() };

		const readToken = async (userId: string, account: string) => {
			const read = await api(
				tether,
				"POST",
				`/v1/connected-accounts/${userId}/upstream/${account}/access-token`,
				{ token: secretKey },
			);
			expect(read.status).toBe(200);
			seen.tokens.add(read.body.accessToken);
			return read.body.accessToken as string;
		};
		const signIn = async (account: string): Promise<SessionBody> => {
			const session = await createBrowser(tether).signIn(account);
			seen.tokens.add(session.accessToken);
			seen.tokens.add(session.refreshToken);
			seen.ids.add(session.user.id);
			return session;
		};
		const stats = async () => {
			await tether.server.flushAudit();
			const since = new Date(Date.now() - 60 * 60 * 1000).toISOString();
			const answer = await admin(
				tether,
				"GET",
				`/v1/admin/stats?since=${encodeURIComponent(since)}&bucket=60`,
			);
			expect(answer.status).toBe(200);
			return answer.body;
		};

		beforeAll(async () => {
			await new Promise<void>((resolve) =>
				receiver.listen(0, "127.0.0.1", resolve),
			);
			const { port } = receiver.address() as AddressInfo;
			tether = await startTestTether({
				database,
				config: {
					adminSecret,
					webhooks: [
						{ url: `http://127.0.0.1:${port}/hooks`, secret: webhookSecret },
					],
				},
			});
		});
		afterAll(async () => {
			await tether?.close();
			receiver.close();
		});

		it("records links, token reads, refreshes and unlinks, and stats count them", async () => {
			const before = totals(await stats());
			const session = await signIn("audit-ann");
			const userId = session.user.id;
			const link = await api(tether, "POST", "/v1/link/upstream", {
				token: session.accessToken,
				body: { redirectTo: appUrl },
			});
			const landed = await createBrowser(tether).follow(link.body.url, {
				account: "audit-ann-work",
			});
			expect(
				(await completeLink(tether, landed, session.accessToken)).status,
			).toBe(200);
			for (let i = 0; i < 3; i++) await readToken(userId, "audit-ann");
			const forced = await admin(
				tether,
				"POST",
				"/v1/admin/accounts/upstream/audit-ann/refresh",
			);
			expect(forced.status).toBe(200);
			const removed = await api(
				tether,
				"DELETE",
				`/v1/connected-accounts/me/upstream/audit-ann-work`,
				{ token: session.accessToken },
			);
			expect(removed.status).toBe(204);
			await tether.server.flushAudit();

			const log = await admin(
				tether,
				"GET",
				`/v1/admin/audit?userId=${userId}&limit=50`,
			);
			expect(log.status).toBe(200);
			const entries: {
				id: string;
				at: string;
				kind: string;
				providerAccountId: string | null;
				reason: string | null;
				count: number;
				detail: Record<string, unknown>;
			}[] = log.body.items;
			const find = (kind: string, account: string) =>
				entries.filter(
					(e) => e.kind === kind && e.providerAccountId === account,
				);
			expect(find("account.linked", "audit-ann")).toEqual([
				expect.objectContaining({
					reason: "signin",
					detail: expect.objectContaining({ created: true }),
				}),
			]);
			expect(find("account.linked", "audit-ann-work")).toEqual([
				expect.objectContaining({ reason: "link" }),
			]);
			// Three reads of one account in one window are one row that says three.
			expect(find("token.read", "audit-ann")).toEqual([
				expect.objectContaining({ reason: "access_token", count: 3 }),
			]);
			expect(find("token.refresh", "audit-ann")).toEqual([
				expect.objectContaining({ detail: { forced: true } }),
			]);
			expect(find("account.refresh_forced", "audit-ann")).toEqual([
				expect.objectContaining({ detail: { refreshed: true } }),
			]);
			expect(find("account.unlinked", "audit-ann-work")).toEqual([
				expect.objectContaining({
					detail: expect.objectContaining({ revocationsQueued: 2 }),
				}),
			]);
			// Newest first; and the log never holds a token.
			const ats = entries.map((e) => e.at);
			expect(ats).toEqual([...ats].sort().reverse());
			const text = JSON.stringify(log.body);
			for (const token of seen.tokens) expect(text).not.toContain(token);

			const after = totals(await stats());
			const grew = (kind: string) => (after[kind] ?? 0) - (before[kind] ?? 0);
			expect(grew("account.linked")).toBe(2);
			expect(grew("token.read")).toBe(3);
			expect(grew("token.refresh")).toBe(1);
			expect(grew("token.refresh_failed")).toBe(0);
			expect(grew("account.unlinked")).toBe(1);

			// Paging: one entry a page, following nextCursor, gives the same list.
			const paged: string[] = [];
			let cursor: string | null = null;
			do {
				const page = await admin(
					tether,
					"GET",
					`/v1/admin/audit?userId=${userId}&limit=2${cursor === null ? "" : `&before=${encodeURIComponent(cursor)}`}`,
				);
				expect(page.status).toBe(200);
				paged.push(...page.body.items.map((e: { id: string }) => e.id));
				cursor = page.body.nextCursor;
			} while (cursor !== null);
			expect(paged).toEqual(entries.map((e) => e.id));
		});

		it("forces exactly one upstream refresh, answering without a token", async () => {
			const session = await signIn("force-bo");
			const before = await readToken(session.user.id, "force-bo");
			const calls = tether.upstream.counters.tokenRequests.refresh_token;
			const forced = await admin(
				tether,
				"POST",
				"/v1/admin/accounts/upstream/force-bo/refresh",
			);
			expect(forced.status).toBe(200);
			expect(tether.upstream.counters.tokenRequests.refresh_token - calls).toBe(
				1,
			);
			expect(forced.body).toMatchObject({
				refreshed: true,
				account: {
					provider: "upstream",
					providerAccountId: "force-bo",
					userId: session.user.id,
					status: "active",
					hasRefreshToken: true,
					lastRefreshError: null,
				},
			});
			expect(forced.body.account.lastRefreshAt).toEqual(expect.any(String));
			const after = await readToken(session.user.id, "force-bo");
			expect(after).not.toBe(before);
			const text = JSON.stringify(forced.body);
			for (const token of [before, after]) expect(text).not.toContain(token);
			expect(tether.upstream.counters.grantsRevoked).toBe(0);

			const missing = await admin(
				tether,
				"POST",
				"/v1/admin/accounts/upstream/nobody-here/refresh",
			);
			expect(missing.status).toBe(404);
			expect(missing.body.code).toBe("CONNECTED_ACCOUNT_NOT_FOUND");
		});

		it("finds users by identifier, pages them, and shows accounts without tokens", async () => {
			const session = await signIn("users-cy");
			await readToken(session.user.id, "users-cy");
			await tether.server.store.markUsed(
				[
					(
						await tether.server.store.findConnectedAccount(
							"upstream",
							"users-cy",
						)
					)?.id ?? "",
				],
				Date.now(),
			);
			const found = await admin(
				tether,
				"GET",
				"/v1/admin/users?query=users-cy",
			);
			expect(found.status).toBe(200);
			expect(found.body).toEqual({
				items: [
					expect.objectContaining({ id: session.user.id, accountCount: 1 }),
				],
				nextCursor: null,
			});

			const all: string[] = [];
			let cursor: string | null = null;
			do {
				const page = await admin(
					tether,
					"GET",
					`/v1/admin/users?limit=1${cursor === null ? "" : `&after=${encodeURIComponent(cursor)}`}`,
				);
				expect(page.status).toBe(200);
				expect(page.body.items.length).toBeLessThanOrEqual(1);
				all.push(...page.body.items.map((u: { id: string }) => u.id));
				cursor = page.body.nextCursor;
			} while (cursor !== null);
			expect(all[0]).toBe(session.user.id);
			expect(new Set(all).size).toBe(all.length);
			expect(all).toEqual(expect.arrayContaining([...seen.ids]));

			const detail = await admin(
				tether,
				"GET",
				`/v1/admin/users/${session.user.id}`,
			);
			expect(detail.status).toBe(200);
			expect(detail.body.user).toMatchObject({
				id: session.user.id,
				accountCount: 1,
			});
			expect(detail.body.accounts).toEqual([
				expect.objectContaining({
					provider: "upstream",
					providerAccountId: "users-cy",
					status: "active",
					scopes: expect.arrayContaining(["openid", "email"]),
					accessTokenExpiresAt: expect.any(String),
					lastUsedAt: expect.any(String),
					lastRefreshAt: null,
					lastRefreshError: null,
					hasRefreshToken: true,
				}),
			]);
			const text = JSON.stringify(detail.body);
			for (const token of seen.tokens) expect(text).not.toContain(token);
			expect(text).not.toMatch(/v1\.t1\./);

			expect(
				(await admin(tether, "GET", "/v1/admin/users/usr_nobody")).body.code,
			).toBe("USER_NOT_FOUND");
			expect(
				(await admin(tether, "GET", "/v1/admin/users?after=garbage")).status,
			).toBe(400);
		});

		it("unlinks as the admin: tokens gone, revoked at the provider, audited", async () => {
			const session = await signIn("unlink-di");
			const removed = await admin(
				tether,
				"DELETE",
				"/v1/admin/accounts/upstream/unlink-di",
			);
			expect(removed.status).toBe(204);
			expect(
				await tether.server.store.findConnectedAccount("upstream", "unlink-di"),
			).toBeNull();
			expect(await tether.server.processRevocations()).toBeGreaterThanOrEqual(
				2,
			);
			await tether.server.flushAudit();
			const log = await admin(
				tether,
				"GET",
				`/v1/admin/audit?userId=${session.user.id}&kind=account.unlinked`,
			);
			expect(log.body.items).toEqual([
				expect.objectContaining({
					providerAccountId: "unlink-di",
					detail: { revocationsQueued: 2, by: "admin" },
				}),
			]);
			const revoked = await admin(
				tether,
				"GET",
				"/v1/admin/audit?provider=upstream&kind=revocation.done&limit=2",
			);
			expect(revoked.body.items).toHaveLength(2);
			expect(
				(await admin(tether, "DELETE", "/v1/admin/accounts/upstream/unlink-di"))
					.status,
			).toBe(404);
		});

		it("replays a delivered webhook event", async () => {
			await signIn("hook-eve");
			await tether.server.deliverWebhooks();
			const list = await admin(tether, "GET", "/v1/admin/events?limit=5");
			expect(list.status).toBe(200);
			const event = list.body.items.find(
				(e: { type: string; payload: { providerAccountId?: string } }) =>
					e.type === "connected_account.linked" &&
					e.payload.providerAccountId === "hook-eve",
			);
			expect(event).toMatchObject({ deliveredAt: expect.any(String) });
			const deliveries = () =>
				received.filter((r) => r.headers["webhook-id"] === event.id).length;
			expect(deliveries()).toBe(1);

			const replayed = await admin(
				tether,
				"POST",
				`/v1/admin/events/${event.id}/replay`,
			);
			expect(replayed.status).toBe(200);
			expect(replayed.body).toMatchObject({
				id: event.id,
				deliveredAt: null,
				attempts: 0,
			});
			expect(await tether.server.deliverWebhooks()).toBe(1);
			expect(deliveries()).toBe(2);
			// Once replayed, it is delivered again, not forever.
			expect(await tether.server.deliverWebhooks()).toBe(0);
			expect(deliveries()).toBe(2);

			await tether.server.flushAudit();
			const log = await admin(
				tether,
				"GET",
				"/v1/admin/audit?kind=webhook.replayed&limit=1",
			);
			expect(log.body.items[0]).toMatchObject({
				providerAccountId: "hook-eve",
				detail: { eventId: event.id, type: "connected_account.linked" },
			});
			const unknown = await admin(
				tether,
				"POST",
				"/v1/admin/events/evt_nothing/replay",
			);
			expect(unknown.status).toBe(404);
			expect(unknown.body.code).toBe("NOT_FOUND");
		});

		it("reports each provider's accounts and refresh health", async () => {
			await signIn("health-ida");
			expect(
				(
					await admin(
						tether,
						"POST",
						"/v1/admin/accounts/upstream/health-ida/refresh",
					)
				).body.refreshed,
			).toBe(true);
			await tether.server.flushAudit();
			const answer = await admin(tether, "GET", "/v1/admin/providers");
			expect(answer.status).toBe(200);
			const [provider] = answer.body.items;
			expect(answer.body.items).toHaveLength(1);
			expect(provider).toMatchObject({
				id: "upstream",
				type: "oidc",
				displayName: expect.any(String),
				circuit: { open: false, openUntil: null },
				lastFailure: null,
				lastHour: {
					failures: { transient: 0, permanent: 0, misconfigured: 0 },
					successRate: 1,
				},
			});
			expect(provider.lastHour.refreshes).toBeGreaterThanOrEqual(1);
			expect(provider.lastDay.refreshes).toBe(provider.lastHour.refreshes);
			const active = (await tether.server.store.countAccounts()).find(
				(c) => c.status === "active",
			)?.count;
			expect(provider.accounts).toEqual({
				active,
				reauthRequired: 0,
			});
		});

		it("serves Prometheus text with route templates and provider ids, never a token or id", async () => {
			const session = await signIn("metrics-fay-7q");
			await readToken(session.user.id, "metrics-fay-7q");
			await admin(
				tether,
				"POST",
				"/v1/admin/accounts/upstream/metrics-fay-7q/refresh",
			);
			// The refresh dropped the account's token from memory: read, then from memory.
			await readToken(session.user.id, "metrics-fay-7q");
			await readToken(session.user.id, "metrics-fay-7q");
			await api(tether, "GET", `/v1/connected-accounts/${session.user.id}`, {
				token: secretKey,
			});
			await api(tether, "GET", `/v1/no-such-route/${session.user.id}`);

			const denied = await api(tether, "GET", "/metrics");
			expect(denied.status).toBe(401);
			const response = await fetch(`${tether.baseUrl}/metrics`, {
				headers: adminHeaders,
			});
			expect(response.status).toBe(200);
			expect(response.headers.get("content-type")).toMatch(
				/^text\/plain; version=0\.0\.4/,
			);
			const text = await response.text();
			const { types, samples } = parsePrometheus(text);

			for (const token of seen.tokens) expect(text).not.toContain(token);
			for (const id of seen.ids) expect(text).not.toContain(id);
			for (const secret of [adminSecret, secretKey])
				expect(text).not.toContain(secret);
			expect(text).not.toContain("metrics-fay-7q");
			expect(text).not.toContain("no-such-route");

			expect(types.get("tether_http_requests_total")).toBe("counter");
			expect(types.get("tether_http_request_duration_seconds")).toBe(
				"histogram",
			);
			expect(
				sampleOf(samples, "tether_http_requests_total", {
					method: "POST",
					route:
						"/v1/connected-accounts/:user/:provider/:providerAccountId/access-token",
					status: "200",
				}),
			).toBeGreaterThanOrEqual(1);
			expect(
				sampleOf(samples, "tether_http_requests_total", {
					route: "/v1/connected-accounts/:user",
					status: "200",
				}),
			).toBeGreaterThanOrEqual(1);
			expect(
				sampleOf(samples, "tether_http_requests_total", {
					route: "unmatched",
					status: "404",
				}),
			).toBeGreaterThanOrEqual(1);
			expect(
				sampleOf(samples, "tether_access_token_reads_total", {
					provider: "upstream",
					via: "access_token",
				}),
			).toBeGreaterThanOrEqual(1);
			expect(
				sampleOf(samples, "tether_refreshes_total", {
					provider: "upstream",
					outcome: "success",
				}),
			).toBeGreaterThanOrEqual(1);
			expect(types.get("tether_access_token_cache_total")).toBe("counter");
			expect(
				sampleOf(samples, "tether_access_token_cache_total", { result: "hit" }),
			).toBeGreaterThanOrEqual(1);
			expect(
				sampleOf(samples, "tether_access_token_cache_total", {
					result: "miss",
				}),
			).toBeGreaterThanOrEqual(2);
			expect(
				sampleOf(samples, "tether_access_token_cache_entries", {}),
			).toBeGreaterThanOrEqual(1);
			expect(
				sampleOf(samples, "tether_provider_circuit_open", {
					provider: "upstream",
				}),
			).toBe(0);
			const active = sampleOf(samples, "tether_connected_accounts", {
				provider: "upstream",
				status: "active",
			});
			expect(active).toBeGreaterThanOrEqual(1);
			expect(
				sampleOf(samples, "process_memory_bytes", { kind: "rss" }),
			).toBeGreaterThan(0);

			// Histograms: cumulative buckets ending in +Inf, which equals _count.
			const route =
				"/v1/connected-accounts/:user/:provider/:providerAccountId/access-token";
			const buckets = samples.filter(
				(s) =>
					s.name === "tether_http_request_duration_seconds_bucket" &&
					s.labels.route === route,
			);
			const counts = buckets.map((b) => b.value);
			expect(counts).toEqual([...counts].sort((a, b) => a - b));
			expect(buckets.at(-1)?.labels.le).toBe("+Inf");
			expect(buckets.at(-1)?.value).toBe(
				sampleOf(samples, "tether_http_request_duration_seconds_count", {
					route,
				}),
			);
		});

		it("lets only the admin secret in", async () => {
			const session = await signIn("auth-gus");
			const cases: [string, Record<string, string>][] = [
				["no credentials", {}],
				["a wrong secret", { authorization: `Bearer ${adminSecret}x` }],
				["the app's secret key", { authorization: `Bearer ${secretKey}` }],
				["a session", { authorization: `Bearer ${session.accessToken}` }],
				["a malformed header", { authorization: adminSecret }],
			];
			for (const [label, headers] of cases) {
				for (const [method, path] of [
					["GET", "/v1/admin/providers"],
					["GET", "/v1/admin/audit"],
					["POST", "/v1/admin/accounts/upstream/auth-gus/refresh"],
					["DELETE", "/v1/admin/accounts/upstream/auth-gus"],
					["GET", "/v1/admin/not-a-route"],
				] as const) {
					const answer = await admin(tether, method, path, headers);
					expect(answer.status, `${label}: ${method} ${path}`).toBe(401);
					expect(answer.body.code).toBe("UNAUTHENTICATED");
				}
			}
			const ok = await admin(tether, "GET", "/v1/admin/providers");
			expect(ok.status).toBe(200);
			expect(ok.headers.get("cache-control")).toBe("no-store");
			// The admin secret is not a user credential anywhere else.
			expect(
				(
					await admin(
						tether,
						"GET",
						`/v1/connected-accounts/${session.user.id}`,
					)
				).status,
			).toBe(401);
			const unknown = await admin(tether, "GET", "/v1/admin/not-a-route");
			expect(unknown.status).toBe(404);
			expect(
				await tether.server.store.findConnectedAccount("upstream", "auth-gus"),
			).not.toBeNull();
			const doc = await api(tether, "GET", "/openapi.json");
			expect(Object.keys(doc.body.paths)).toEqual(
				expect.arrayContaining([
					"/v1/admin/providers",
					"/v1/admin/users/{userId}",
					"/v1/admin/accounts/{provider}/{providerAccountId}/refresh",
					"/v1/admin/events/{id}/replay",
					"/metrics",
				]),
			);
			expect(doc.body.components.securitySchemes.adminSecret).toMatchObject({
				scheme: "bearer",
			});
		});
	},
);

function externalAddress(): string | undefined {
	for (const list of Object.values(networkInterfaces()))
		for (const entry of list ?? [])
			if (entry.family === "IPv4" && !entry.internal) return entry.address;
	return undefined;
}

describe("admin access without an admin secret", () => {
	describe("development: this machine only", () => {
		let tether: TestTether;
		const port = () => Number(new URL(tether.baseUrl).port);
		beforeAll(async () => {
			tether = await startTestTether({ config: { mode: "development" } });
		});
		afterAll(async () => {
			await tether?.close();
		});

		it("answers a loopback connection, and metrics are open", async () => {
			expect(tether.server.config.adminSecret).toBeUndefined();
			expect((await api(tether, "GET", "/v1/admin/providers")).status).toBe(
				200,
			);
			expect((await api(tether, "GET", "/metrics")).status).toBe(200);
		});

		it("refuses when the Host or Origin is not this machine (DNS rebinding, other sites)", async () => {
			const cases: Record<string, string>[] = [
				{ host: `tether.attacker.example:${port()}` },
				{ host: `127.0.0.1:${port()}`, origin: "https://attacker.example" },
				{ host: `127.0.0.1:${port()}`, origin: "null" },
			];
			for (const headers of cases) {
				const answer = await rawGet({
					host: "127.0.0.1",
					port: port(),
					path: "/v1/admin/providers",
					headers,
				});
				expect(answer.status, JSON.stringify(headers)).toBe(401);
				expect(JSON.parse(answer.body)).toMatchObject({
					code: "UNAUTHENTICATED",
					details: { reason: "loopback_only" },
				});
			}
			const sameMachinePage = await rawGet({
				host: "127.0.0.1",
				port: port(),
				path: "/v1/admin/providers",
				headers: {
					host: `localhost:${port()}`,
					origin: "http://localhost:5173",
				},
			});
			expect(sameMachinePage.status).toBe(200);
		});

		it("judges by the socket, not by X-Forwarded-For", async () => {
			// In process there is no socket at all: never loopback, whatever the headers say.
			const answer = await tether.server.app.request("/v1/admin/providers", {
				headers: {
					host: "127.0.0.1",
					"x-forwarded-for": "127.0.0.1",
					"x-real-ip": "127.0.0.1",
				},
			});
			expect(answer.status).toBe(401);
		});

		it.skipIf(externalAddress() === undefined)(
			"refuses a connection from another address, even naming 127.0.0.1",
			async () => {
				const address = externalAddress() ?? "";
				const listener = await listen(tether.server.app, {
					port: 0,
					hostname: address,
				});
				try {
					const answer = await rawGet({
						host: address,
						port: listener.port,
						path: "/v1/admin/providers",
						headers: {
							host: `127.0.0.1:${listener.port}`,
							"x-forwarded-for": "127.0.0.1",
						},
					});
					expect(answer.status).toBe(401);
				} finally {
					await listener.close();
				}
			},
		);
	});

	describe("production: admin API off; metrics only if public", () => {
		let tether: TestTether;
		beforeAll(async () => {
			tether = await startTestTether({ config: { metrics: { public: true } } });
		});
		afterAll(async () => {
			await tether?.close();
		});

		it("refuses the admin API even from loopback, and serves public metrics", async () => {
			expect(tether.server.config.mode).toBe("production");
			const answer = await api(tether, "GET", "/v1/admin/providers", {
				headers: { authorization: "Bearer anything-at-all-anything-at-all" },
			});
			expect(answer.status).toBe(401);
			expect(answer.body.details).toEqual({ reason: "no_admin_secret" });
			const metrics = await api(tether, "GET", "/metrics");
			expect(metrics.status).toBe(200);
			expect(String(metrics.body)).toContain("# TYPE tether_build_info gauge");
		});
	});

	it("classifies socket addresses", () => {
		for (const address of [
			"127.0.0.1",
			"127.8.9.10",
			"::1",
			"::ffff:127.0.0.1",
		])
			expect(isLoopbackAddress(address), address).toBe(true);
		for (const address of [
			undefined,
			"",
			"10.0.0.1",
			"::ffff:10.0.0.1",
			"128.0.0.1",
			"::2",
			"fe80::1",
			"127.0.0.1.evil",
		])
			expect(isLoopbackAddress(address), String(address)).toBe(false);
	});
});

describe("provider health and forced refresh against a failing provider", () => {
	let tether: TestTether;
	let fault: FaultProvider;
	let clock = 0;
	const later = (seconds: number) => {
		clock += seconds * 1000;
	};
	const force = () =>
		admin(tether, "POST", "/v1/admin/accounts/flaky/fault-user/refresh");
	const flaky = async () => {
		await tether.server.flushAudit();
		const answer = await admin(tether, "GET", "/v1/admin/providers");
		return answer.body.items.find((p: { id: string }) => p.id === "flaky");
	};

	beforeAll(async () => {
		fault = await startFaultProvider();
		tether = await startTestTether({
			now: () => Date.now() + clock,
			config: { adminSecret, refreshMarginSeconds: 1 },
			providers: (upstream) => [
				upstreamProvider(upstream),
				faultProvider(fault, "flaky"),
			],
		});
		tether.provider = "flaky";
		fault.enqueue({ kind: "success", expiresIn: 3600 });
		await createBrowser(tether).signIn("fault-user");
	});
	afterAll(async () => {
		await tether?.close();
		await fault?.close();
	});

	it("a forced refresh respects the provider's backoff", async () => {
		fault.enqueue({ kind: "success", expiresIn: 3600 });
		const ok = await force();
		expect(ok.status).toBe(200);
		expect(ok.body.refreshed).toBe(true);

		// The provider fails; the stored token is still good, so it is kept and served.
		fault.enqueue({ kind: "unavailable", retryAfter: 120 });
		const calls = fault.counters.token;
		const failed = await force();
		expect(fault.counters.token - calls).toBe(1);
		expect(failed.status).toBe(200);
		expect(failed.body.refreshed).toBe(false);
		expect(failed.body.account.lastRefreshError).toMatchObject({
			kind: "transient",
			status: 503,
			retryAt: expect.any(String),
		});
		// Within the backoff, forcing again does not reach the provider.
		expect((await force()).body.refreshed).toBe(false);
		expect(fault.counters.token - calls).toBe(1);
	});

	it("shows failures by kind, the last failure and an open circuit", async () => {
		later(300);
		fault.enqueue({ kind: "invalid_client" });
		const refused = await force();
		expect(refused.body.refreshed).toBe(false);
		const provider = await flaky();
		expect(provider).toMatchObject({
			id: "flaky",
			type: "oauth2",
			accounts: { active: 1, reauthRequired: 0 },
			circuit: { open: true, openUntil: expect.any(String) },
			lastFailure: {
				kind: "misconfigured",
				error: "invalid_client",
				status: 401,
			},
			lastHour: {
				refreshes: 1,
				failures: { transient: 1, permanent: 0, misconfigured: 1 },
			},
		});
		expect(provider.lastHour.successRate).toBeCloseTo(1 / 3);

		const metrics = await fetch(`${tether.baseUrl}/metrics`, {
			headers: adminHeaders,
		});
		const { samples } = parsePrometheus(await metrics.text());
		expect(
			sampleOf(samples, "tether_provider_circuit_open", { provider: "flaky" }),
		).toBe(1);
		expect(
			sampleOf(samples, "tether_provider_circuit_open", {
				provider: "upstream",
			}),
		).toBe(0);
		for (const outcome of ["success", "transient", "misconfigured"])
			expect(
				sampleOf(samples, "tether_refreshes_total", {
					provider: "flaky",
					outcome,
				}),
				outcome,
			).toBe(1);

		// The circuit closes on its own.
		later(60);
		expect((await flaky()).circuit).toEqual({ open: false, openUntil: null });
	});

	it("a revoked grant ends in reauth_required, shown per account and provider", async () => {
		later(300);
		fault.enqueue({ kind: "invalid_grant" });
		const refused = await force();
		expect(refused.status).toBe(409);
		expect(refused.body.details).toMatchObject({ reason: "reauth_required" });
		const provider = await flaky();
		expect(provider.accounts).toEqual({ active: 0, reauthRequired: 1 });
		expect(provider.lastHour.failures.permanent).toBe(1);
		const log = await admin(
			tether,
			"GET",
			"/v1/admin/audit?provider=flaky&kind=account.reauth_required",
		);
		expect(log.body.items).toEqual([
			expect.objectContaining({
				providerAccountId: "fault-user",
				detail: { error: "invalid_grant" },
			}),
		]);
		// A reauth_required account is not refreshed, forced or not.
		const calls = fault.counters.token;
		expect((await force()).status).toBe(409);
		expect(fault.counters.token).toBe(calls);
	});
});
