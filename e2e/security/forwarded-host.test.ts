import { authorize } from "@tether/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import {
	type RawResponse,
	rawRequest,
} from "../../packages/server/test/raw-http.ts";
import { itLeavesNoSecrets, signIn, signinUrl } from "./support/flows.ts";
import { appUrl, useSecurityTether } from "./support/security-tether.ts";

/**
 * Host-header and forwarded-header injection: the provider `redirect_uri`, the link-intent URL and
 * every redirect come from config (`baseUrl`), never from what the client says the host is. Sent
 * over a raw socket, because fetch quietly replaces a `Host` header with its own.
 */
const evil = "evil.test";
const forgeries: [string, [string, string][]][] = [
	["Host", [["Host", evil]]],
	["Host with a port", [["Host", `${evil}:443`]]],
	["X-Forwarded-Host", [["X-Forwarded-Host", evil]]],
	[
		"X-Forwarded-Host, -Proto and -Port",
		[
			["X-Forwarded-Host", evil],
			["X-Forwarded-Proto", "https"],
			["X-Forwarded-Port", "443"],
		],
	],
	["Forwarded (RFC 7239)", [["Forwarded", `host=${evil};proto=https`]]],
	[
		"X-Original-Host, X-Host, X-Forwarded-Server",
		[
			["X-Original-Host", evil],
			["X-Host", evil],
			["X-Forwarded-Server", evil],
		],
	],
	["X-Forwarded-Prefix", [["X-Forwarded-Prefix", `//${evil}/`]]],
	[
		"all of them at once",
		[
			["Host", evil],
			["X-Forwarded-Host", evil],
			["X-Forwarded-Proto", "https"],
			["Forwarded", `host=${evil};proto=https`],
		],
	],
];

/** Every header and the body of an answer, as one string to search for the forged host. */
const everything = (answer: RawResponse) =>
	`${JSON.stringify(answer.headers)}\n${answer.text()}`;

describe("forwarded-host injection, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-host" });
	let session: string;
	beforeAll(async () => {
		session = (await signIn(tether(), "host-user")).accessToken;
	});

	const redirectUri = () =>
		`${tether().baseUrl}/v1/signin/provider/upstream/callback`;
	const pathOf = (url: string) => {
		const parsed = new URL(url);
		return `${parsed.pathname}${parsed.search}`;
	};

	it.each(forgeries)(
		"keeps the provider redirect_uri from config under a forged %s",
		async (_name, headers) => {
			const answer = await rawRequest(tether().port, {
				method: "GET",
				target: pathOf(signinUrl(tether())),
				headers,
			});
			expect(answer.status).toBe(302);
			tether().ledger.addUrl(answer.headers.location ?? "", {
				tether: tether().baseUrl,
			});
			const location = new URL(answer.headers.location ?? "");
			expect(location.origin).toBe(tether().upstream.issuer);
			expect(location.searchParams.get("redirect_uri")).toBe(redirectUri());
			expect(everything(answer)).not.toContain(evil);
		},
	);

	it("keeps it from config for an absolute-form request target naming another host", async () => {
		const answer = await rawRequest(tether().port, {
			method: "GET",
			target: `http://${evil}${pathOf(signinUrl(tether()))}`,
		});
		// Refusing the absolute form outright is as good as ignoring its host.
		expect([302, 400]).toContain(answer.status);
		if (answer.status === 302) {
			const location = new URL(answer.headers.location ?? "");
			expect(location.searchParams.get("redirect_uri")).toBe(redirectUri());
		}
		expect(everything(answer)).not.toContain(evil);
	});

	it.each(forgeries)(
		"builds the link-intent URL from config under a forged %s",
		async (_name, headers) => {
			const answer = await rawRequest(tether().port, {
				method: "POST",
				target: "/v1/link/upstream",
				headers: [
					...headers,
					["Authorization", `Bearer ${session}`],
					["Content-Type", "application/json"],
				],
				body: "{}",
			});
			expect(answer.status).toBe(200);
			const url = new URL(JSON.parse(answer.text()).url);
			expect(`${url.origin}${url.pathname}`).toBe(
				`${tether().baseUrl}/v1/link/upstream/start`,
			);
			tether().ledger.add("link intent", url.searchParams.get("intent"));
			expect(everything(answer)).not.toContain(evil);
		},
	);

	it("runs a whole sign-in with forged headers on every hop and still uses the configured redirect_uri and redirectTo", async () => {
		const [, headers] = forgeries.at(-1) ?? ["", []];
		const start = await rawRequest(tether().port, {
			method: "GET",
			target: pathOf(signinUrl(tether())),
			headers,
		});
		tether().ledger.addUrl(start.headers.location ?? "", {
			tether: tether().baseUrl,
		});
		const cookie = (start.headers["set-cookie"] ?? "").split(";")[0] ?? "";
		expect(start.headers["set-cookie"]).not.toMatch(/domain=/i);
		const callback = await authorize(start.headers.location ?? "", {
			account: "host-flow",
		});
		expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri());
		tether().ledger.addUrl(callback, { tether: tether().baseUrl });
		const before = tether().upstreams.upstream?.exchanges.length ?? 0;
		const back = await rawRequest(tether().port, {
			method: "GET",
			target: pathOf(callback.toString()),
			headers: [...headers, ["Cookie", cookie]],
		});
		expect(back.status).toBe(302);
		const landed = new URL(back.headers.location ?? "");
		expect(`${landed.origin}${landed.pathname}`).toBe(appUrl);
		tether().ledger.add("tether code", landed.searchParams.get("code"));
		expect(landed.searchParams.get("code")).toMatch(/^[\w-]{43}$/);
		// The code went to the provider with the configured redirect_uri (it must match the
		// authorization request's, or the provider refuses).
		const exchange = tether().upstreams.upstream?.exchanges[before];
		expect(new URLSearchParams(exchange?.requestBody).get("redirect_uri")).toBe(
			redirectUri(),
		);
	});

	it.each([
		"/openapi.json",
		"/.well-known/jwks.json",
		"/v1/healthz",
		"/v1/no-such-route",
		"/v1/user",
	])("does not reflect a forged host in %s", async (path) => {
		const [, headers] = forgeries.at(-1) ?? ["", []];
		const answer = await rawRequest(tether().port, {
			method: "GET",
			target: path,
			headers,
		});
		expect(answer.status).toBeGreaterThan(0);
		expect(everything(answer)).not.toContain(evil);
	});

	itLeavesNoSecrets(tether);
});
