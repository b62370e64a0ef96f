import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	createBrowser,
	secretKey,
	startTestTether,
	type TestTether,
} from "../../server/test/harness.ts";
import {
	createTetherServer,
	TetherClientError,
	verifyWebhook,
} from "../src/index.ts";

const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const otherSecret = `whsec_${Buffer.alloc(32, 8).toString("base64")}`;
const body = JSON.stringify({
	type: "connected_account.linked",
	timestamp: "2025-01-01T00:00:00.000Z",
	data: { userId: "usr_1", provider: "google", providerAccountId: "123" },
});

/** Headers as the reference library signs them, `secondsAgo` in the past. */
function signed(input: {
	payload?: string;
	secondsAgo?: number;
	key?: string;
	id?: string;
}) {
	const id = input.id ?? "evt_1";
	const seconds = Math.floor(Date.now() / 1000) - (input.secondsAgo ?? 0);
	const signature = new Webhook(input.key ?? secret).sign(
		id,
		new Date(seconds * 1000),
		input.payload ?? body,
	);
	return {
		"webhook-id": id,
		"webhook-timestamp": String(seconds),
		"webhook-signature": signature,
	};
}

const libraryAccepts = (
	payload: string | Buffer,
	headers: Record<string, string>,
	key = secret,
) => {
	try {
		new Webhook(key).verify(payload, headers);
		return true;
	} catch {
		return false;
	}
};
const oursAccepts = (
	payload: string | Buffer,
	headers: Record<string, string>,
	key = secret,
) => {
	try {
		verifyWebhook(payload, headers, key);
		return true;
	} catch (error) {
		if (!(error instanceof TetherClientError)) throw error;
		return false;
	}
};

describe("verifyWebhook agrees with the standardwebhooks package", () => {
	const good = signed({});
	const cases: [
		string,
		string | Buffer,
		Record<string, string>,
		string,
		boolean,
	][] = [
		["a good delivery", body, good, secret, true],
		["the body as a Buffer", Buffer.from(body), good, secret, true],
		[
			"header names in any case",
			body,
			Object.fromEntries(
				Object.entries(good).map(([k, v]) => [k.toUpperCase(), v]),
			),
			secret,
			true,
		],
		[
			"several signatures, the good one last (key rotation)",
			body,
			{
				...good,
				"webhook-signature": `v1,${Buffer.alloc(32).toString("base64")} ${good["webhook-signature"]}`,
			},
			secret,
			true,
		],
		[
			"the right MAC under another version",
			body,
			{
				...good,
				"webhook-signature": good["webhook-signature"].replace(/^v1,/, "v2,"),
			},
			secret,
			false,
		],
		["a body changed by one byte", `${body} `, good, secret, false],
		["another secret", body, good, otherSecret, false],
		["a secret without the whsec_ prefix", body, good, secret.slice(6), true],
		["4 minutes old", body, signed({ secondsAgo: 240 }), secret, true],
		["6 minutes old", body, signed({ secondsAgo: 360 }), secret, false],
		["6 minutes ahead", body, signed({ secondsAgo: -360 }), secret, false],
		[
			"no signature header",
			body,
			{
				"webhook-id": good["webhook-id"],
				"webhook-timestamp": good["webhook-timestamp"],
			},
			secret,
			false,
		],
		[
			"a timestamp that is not a number",
			body,
			{ ...good, "webhook-timestamp": "soon" },
			secret,
			false,
		],
		[
			"the id swapped for another event's",
			body,
			{ ...good, "webhook-id": "evt_2" },
			secret,
			false,
		],
	];

	it.each(cases)("%s", (_name, payload, headers, key, expected) => {
		expect(libraryAccepts(payload, headers, key)).toBe(expected);
		expect(oursAccepts(payload, headers, key)).toBe(expected);
	});

	it("returns the event with its webhook-id, and takes a Headers object", () => {
		const event = verifyWebhook(body, new Headers(good), secret);
		expect(event).toEqual({
			id: "evt_1",
			type: "connected_account.linked",
			timestamp: "2025-01-01T00:00:00.000Z",
			data: { userId: "usr_1", provider: "google", providerAccountId: "123" },
		});
	});

	it("says why it refused", () => {
		expect(() =>
			verifyWebhook(body, signed({ secondsAgo: 400 }), secret),
		).toThrow(
			expect.objectContaining({
				code: "UNAUTHENTICATED",
				details: { reason: "timestamp_too_old" },
			}),
		);
	});

	it("differs on purpose where the package is lax: digits-only timestamps, event-shaped bodies", () => {
		// parseInt("<seconds>abc") is a number to the package; a timestamp with junk is refused here.
		const junk = {
			...good,
			"webhook-timestamp": `${good["webhook-timestamp"]}abc`,
		};
		expect(libraryAccepts(body, junk)).toBe(true);
		expect(oursAccepts(body, junk)).toBe(false);
		// A correctly signed body that is not a Tether event is a sender bug, not an event.
		const odd = JSON.stringify({ hello: "world" });
		expect(libraryAccepts(odd, signed({ payload: odd }))).toBe(true);
		expect(() => verifyWebhook(odd, signed({ payload: odd }), secret)).toThrow(
			expect.objectContaining({ code: "INVALID_REQUEST" }),
		);
	});
});

describe("verifyWebhook on a real delivery from Tether", () => {
	let tether: TestTether;
	const received: { body: string; headers: IncomingHttpHeaders }[] = [];
	const receiver = createServer((req, res) => {
		let text = "";
		req.on("data", (chunk) => {
			text += chunk;
		});
		req.on("end", () => {
			received.push({ body: text, headers: req.headers });
			res.writeHead(204).end();
		});
	});

	beforeAll(async () => {
		await new Promise<void>((resolve) =>
			receiver.listen(0, "127.0.0.1", resolve),
		);
		const address = receiver.address();
		if (address === null || typeof address === "string")
			throw new Error("receiver has no port");
		const { port }: AddressInfo = address;
		tether = await startTestTether({
			config: {
				webhooks: [{ url: `http://127.0.0.1:${port}/hooks`, secret }],
			},
		});
	});
	afterAll(async () => {
		await tether?.close();
		receiver.close();
	});

	it("accepts what Tether signs, exactly when the package does", async () => {
		const session = await createBrowser(tether).signIn("sol");
		await api(tether, "DELETE", "/v1/connected-accounts/me/upstream/sol", {
			token: session.accessToken,
		});
		expect(await tether.server.deliverWebhooks()).toBe(2);
		const server = createTetherServer({ baseUrl: tether.baseUrl, secretKey });
		const events = received.map(({ body: payload, headers }) =>
			server.verifyWebhook(payload, headers, secret),
		);
		expect(events.map((e) => e.type)).toEqual([
			"connected_account.linked",
			"connected_account.unlinked",
		]);
		expect(events[1]?.data).toMatchObject({
			userId: session.user.id,
			provider: "upstream",
			providerAccountId: "sol",
		});
		for (const { body: payload, headers } of received) {
			const plain = Object.fromEntries(
				Object.entries(headers).map(([k, v]) => [k, String(v)]),
			);
			expect(libraryAccepts(payload, plain)).toBe(true);
			expect(libraryAccepts(`${payload} `, plain)).toBe(false);
			expect(oursAccepts(`${payload} `, plain)).toBe(false);
		}
	});
});
