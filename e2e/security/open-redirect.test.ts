import { beforeAll, describe, expect, it } from "vitest";
import {
	call,
	callbackFor,
	itLeavesNoSecrets,
	locationOf,
	newBrowser,
	signIn,
	signinUrl,
} from "./support/flows.ts";
import {
	appUrl,
	portalUrl,
	useSecurityTether,
} from "./support/security-tether.ts";

/**
 * Open redirects: the one-time code goes wherever `redirectTo` points, so a `redirectTo` that
 * parses to another origin, or to a path outside the allowed one, hands the code to an attacker.
 * The allow-list here is `http://127.0.0.1:5999/app/` and `http://127.0.0.1:5998/portal` (no trailing
 * slash: `/portal/x` is in, `/portalx` is out).
 */
const tricks: [string, string][] = [
	["another origin", "https://evil.test/app/"],
	["protocol-relative", "//evil.test/app/"],
	["triple slash", "///evil.test/app/"],
	["slash-backslash", "/\\evil.test"],
	["double backslash", "\\\\evil.test"],
	["backslash authority", "http:\\\\evil.test\\app\\"],
	["backslash before @", "http://127.0.0.1:5999\\@evil.test/app/"],
	["userinfo @", "http://127.0.0.1:5999@evil.test/app/"],
	["userinfo with a colon", "http://127.0.0.1:5999:@evil.test/app/"],
	["credentials on the allowed origin", "http://user:pw@127.0.0.1:5999/app/"],
	["@ in the fragment", "http://evil.test#@127.0.0.1:5999/app/"],
	["@ in the query", "http://evil.test?@127.0.0.1:5999/app/"],
	["allowed host as a subdomain", "http://127.0.0.1.evil.test:5999/app/"],
	["port prefix", "http://127.0.0.1:59990/app/"],
	["other scheme, same host", "https://127.0.0.1:5999/app/"],
	["other port", "http://127.0.0.1:6000/app/"],
	["leading-zero port", "http://127.0.0.1:05999/app/"],
	["hex host", "http://0x7f.0.0.1:5999/app/"],
	["ideographic dots", "http://127。0。0。1:5999/app/"],
	["IPv6-mapped host", "http://[::ffff:127.0.0.1]:5999/app/"],
	["encoded whole URL", "http%3A%2F%2Fevil.test%2Fapp%2F"],
	["encoded slashes", "%2F%2Fevil.test"],
	["encoded @", "http://127.0.0.1:5999%40evil.test/app/"],
	["encoded dot segments", "http://127.0.0.1:5999/app/%2e%2e/admin"],
	["dot segments", "http://127.0.0.1:5999/app/../admin"],
	["path prefix without boundary", "http://127.0.0.1:5999/application"],
	["path without the trailing slash", "http://127.0.0.1:5999/ap"],
	["portal prefix without boundary", "http://127.0.0.1:5998/portalx"],
	["portal with a dot", "http://127.0.0.1:5998/portal.evil"],
	["portal encoded slash", "http://127.0.0.1:5998/portal%2F..%2Fadmin"],
	["relative path", "/app/"],
	["javascript:", "javascript:alert(1)"],
	["JavaScript: mixed case", "JaVaScRiPt:alert(document.domain)"],
	[
		"javascript: dressed as the allowed URL",
		"javascript://127.0.0.1:5999/app/%0aalert(1)",
	],
	["data:", "data:text/html,<script>alert(1)</script>"],
	["vbscript:", "vbscript:msgbox(1)"],
	["leading space", " http://127.0.0.1:5999/app/"],
	["tab inside", "http://127.0.0.1:5999/a\tpp/"],
	["newline inside", "http://127.0.0.1:5999/app/\nx"],
	["NUL", "http://127.0.0.1:5999/app/\u0000"],
	["empty", ""],
];

const allowed = [
	appUrl,
	`${appUrl}deep/page?tab=1#top`,
	portalUrl,
	`${portalUrl}/deep`,
	`${portalUrl}?next=1`,
];

describe("open redirects, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-redirect" });
	let session: string;
	beforeAll(async () => {
		session = (await signIn(tether(), "redir-user")).accessToken;
	});

	it.each(tricks)(
		"refuses %s as redirectTo at sign-in start",
		async (_name, target) => {
			const answer = await newBrowser(tether()).get(
				signinUrl(tether(), { redirectTo: target }),
			);
			expect(answer.status).toBe(400);
			expect(answer.headers.get("location")).toBeNull();
			expect((await answer.json()).details?.field).toBe("redirectTo");
		},
	);

	it.each(tricks)(
		"refuses %s as redirectTo for a link intent",
		async (_name, target) => {
			for (const token of [session, tether().secretKey]) {
				const answer = await call(tether(), "POST", "/v1/link/upstream", {
					token,
					body: {
						redirectTo: target,
						...(token === session ? {} : { userId: "redir-backend-user" }),
					},
				});
				expect(answer.status).toBe(400);
				expect(answer.body.url).toBeUndefined();
			}
		},
	);

	it.each(allowed)(
		"accepts %s (the allow-list is not a blanket refusal)",
		async (target) => {
			const answer = await newBrowser(tether()).get(
				signinUrl(tether(), { redirectTo: target }),
			);
			expect(answer.status).toBe(302);
			expect(locationOf(answer)?.origin).toBe(tether().upstream.issuer);
		},
	);

	it("lands on the stored redirectTo whatever the callback's query says", async () => {
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "redir-a", {
			startUrl: signinUrl(tether(), { redirectTo: `${portalUrl}/home` }),
		});
		for (const name of ["redirectTo", "redirect_to", "redirect_uri", "next"])
			callback.searchParams.set(name, "https://evil.test/");
		const landed = locationOf(await browser.get(callback.toString()));
		expect(`${landed?.origin}${landed?.pathname}`).toBe(`${portalUrl}/home`);
		expect(landed?.searchParams.get("code")).toMatch(/^[\w-]{43}$/);
	});

	it("sends failures to the stored redirectTo too, never elsewhere", async () => {
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "redir-b");
		callback.searchParams.set("iss", "https://evil.test");
		callback.searchParams.set("redirectTo", "https://evil.test/");
		const landed = locationOf(await browser.get(callback.toString()));
		expect(`${landed?.origin}${landed?.pathname}`).toBe(appUrl);
		expect(landed?.searchParams.get("error")).toBe("invalid_callback");
	});

	it.each([
		["a known error with a description", "access_denied", "access_denied"],
		["an unknown error", "<script>alert(1)</script>", "provider_error"],
		["an error that is a URL", "https://evil.test/", "provider_error"],
	])(
		"passes on %s from the provider as a fixed code only",
		async (_name, error, expected) => {
			const browser = newBrowser(tether());
			const { toProvider } = await callbackFor(tether(), browser, "redir-err");
			const forged = new URL(
				`${tether().baseUrl}/v1/signin/provider/upstream/callback`,
			);
			forged.searchParams.set("error", error);
			forged.searchParams.set(
				"error_description",
				"Log in again at https://evil.test/",
			);
			forged.searchParams.set("error_uri", "https://evil.test/help");
			forged.searchParams.set(
				"state",
				toProvider.searchParams.get("state") ?? "",
			);
			forged.searchParams.set("iss", tether().upstream.issuer);
			const landed = locationOf(await browser.get(forged.toString()));
			expect(`${landed?.origin}${landed?.pathname}`).toBe(appUrl);
			expect(Object.fromEntries(landed?.searchParams ?? [])).toEqual({
				error: expected,
			});
		},
	);

	it("keeps a link flow's redirectTo from the intent, not from the start URL's query", async () => {
		const intent = await call(tether(), "POST", "/v1/link/upstream", {
			token: session,
			body: { redirectTo: portalUrl },
		});
		const start = new URL(intent.body.url);
		start.searchParams.set("redirectTo", "https://evil.test/");
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "redir-linked", {
			startUrl: start.toString(),
		});
		const landed = locationOf(await browser.get(callback.toString()));
		expect(`${landed?.origin}${landed?.pathname}`).toBe(portalUrl);
		expect(landed?.searchParams.get("linked")).toBe("upstream");
	});

	itLeavesNoSecrets(tether);
});
