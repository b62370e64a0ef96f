import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	createBrowser,
	startTestTether,
	type TestTether,
} from "./harness.ts";

const webhookSecret = `whsec_${Buffer.alloc(24, 5).toString("base64")}`;

interface Received {
	body: string;
	headers: IncomingHttpHeaders;
}

describe("background work: webhooks and proactive refresh", () => {
	let tether: TestTether;
	const received: Received[] = [];
	let failNext = 0;
	const receiver = createServer((req, res) => {
		let body = "";
		req.on("data", (chunk) => {
			body += chunk;
		});
		req.on("end", () => {
			if (failNext > 0) {
				failNext--;
				res.writeHead(500).end();
				return;
			}
			received.push({ body, headers: req.headers });
			res.writeHead(204).end();
		});
	});

	beforeAll(async () => {
		await new Promise<void>((resolve) =>
			receiver.listen(0, "127.0.0.1", resolve),
		);
		const { port } = receiver.address() as AddressInfo;
		tether = await startTestTether({
			accessTokenTtlSeconds: 2,
			config: {
				refreshMarginSeconds: 1,
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

	it("delivers account events signed per Standard Webhooks, retrying a failed delivery", async () => {
		const session = await createBrowser(tether).signIn("amos");
		await api(tether, "DELETE", "/v1/connected-accounts/me/upstream/amos", {
			token: session.accessToken,
		});

		failNext = 1;
		expect(await tether.server.deliverWebhooks()).toBe(1);
		expect(received).toHaveLength(1);
		// The failed one waits for its backoff; it is still in the outbox, undelivered.
		const pending = (
			await tether.server.store.listEvents({ limit: 10 })
		).filter((e) => e.deliveredAt === null);
		expect(pending).toHaveLength(1);
		expect(pending[0]?.lastError).toBe("status_500");

		const verifier = new Webhook(webhookSecret);
		const payloads = received.map(({ body, headers }) =>
			verifier.verify(body, {
				"webhook-id": String(headers["webhook-id"]),
				"webhook-timestamp": String(headers["webhook-timestamp"]),
				"webhook-signature": String(headers["webhook-signature"]),
			}),
		);
		expect(payloads[0]).toMatchObject({
			data: {
				provider: "upstream",
				providerAccountId: "amos",
				userId: session.user.id,
			},
		});
		expect(() =>
			verifier.verify(`${received[0]?.body} `, {
				"webhook-id": String(received[0]?.headers["webhook-id"]),
				"webhook-timestamp": String(received[0]?.headers["webhook-timestamp"]),
				"webhook-signature": String(received[0]?.headers["webhook-signature"]),
			}),
		).toThrow();
	});

	it("refreshes tokens about to expire for recently used accounts, once across passes", async () => {
		await createBrowser(tether).signIn("bela");
		const before = tether.upstream.counters.tokenRequests.refresh_token;
		const refreshed = await tether.server.refreshExpiring();
		expect(refreshed).toBeGreaterThanOrEqual(1);
		expect(tether.upstream.counters.tokenRequests.refresh_token - before).toBe(
			refreshed,
		);
		const row = await tether.server.store.findConnectedAccount(
			"upstream",
			"bela",
		);
		expect(row?.lastRefreshAt).not.toBeNull();
		expect(row?.leaseOwner).toBeNull();
		expect(tether.upstream.counters.grantsRevoked).toBe(0);
	});
});
