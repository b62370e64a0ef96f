import {
	mkdirSync,
	mkdtempSync,
	readFileSync,
	statSync,
	writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CookieJar, createCookieJar, freePort } from "@tether/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	loadConfig,
	parseConfig,
	type TetherConfig,
} from "../src/config/index.ts";
import { type Listener, listen } from "../src/listen.ts";
import { createLogger } from "../src/logger.ts";
import { createServer, type TetherServer } from "../src/server.ts";
import { createStore } from "../src/store/index.ts";

/** The development setup (`npm start` without config) in a temp working directory. */
interface DevTether {
	baseUrl: string;
	config: TetherConfig;
	server: TetherServer;
	logs: string[];
	/** Moves Tether's clock (the provider keeps real time). */
	skewMs: number;
	close(): Promise<void>;
}

async function startDevTether(cwd: string, port: number): Promise<DevTether> {
	const config = loadConfig({ env: { PORT: String(port) }, cwd });
	const logs: string[] = [];
	const state = { skewMs: 0 };
	const server = await createServer({
		config,
		cwd,
		// `database` is relative to the process's directory; this test keeps it in `cwd`.
		store: createStore(`sqlite:${join(cwd, ".tether/tether.db")}`),
		logger: createLogger({
			level: "debug",
			destination: { write: (line: string) => logs.push(line) },
		}),
		background: false,
		now: () => Date.now() + state.skewMs,
	});
	const listener: Listener = await listen(server.app, {
		port,
		hostname: "127.0.0.1",
		developmentProvider: server.developmentProvider,
	});
	return {
		baseUrl: config.baseUrl,
		config,
		server,
		logs,
		get skewMs() {
			return state.skewMs;
		},
		set skewMs(value) {
			state.skewMs = value;
		},
		async close() {
			await listener.close();
			await server.close();
		},
	};
}

/** A browser on Tether's origin: cookies kept, redirects followed by hand. */
function createBrowser() {
	const jar: CookieJar = createCookieJar();
	async function request(
		url: string | URL,
		init: RequestInit = {},
	): Promise<Response> {
		const target = new URL(url);
		const headers = new Headers(init.headers);
		const cookie = jar.headerFor(target);
		if (cookie !== undefined) headers.set("cookie", cookie);
		const response = await fetch(target, {
			...init,
			headers,
			redirect: "manual",
		});
		jar.store(response);
		return response;
	}
	/** Follows redirects from `url` until a page answers (the provider's forms) or the app is reached. */
	async function browse(
		url: string | URL,
		appPrefix: string,
		init: RequestInit = {},
	): Promise<{ url: URL; response: Response }> {
		let current = new URL(url);
		let response = await request(current, init);
		for (let hop = 0; hop < 10; hop++) {
			const location = response.headers.get("location");
			if (response.status < 300 || response.status >= 400 || location === null)
				return { url: current, response };
			await response.body?.cancel();
			current = new URL(location, current);
			if (current.href.startsWith(appPrefix)) return { url: current, response };
			response = await request(current);
		}
		throw new Error("too many redirects");
	}
	return { request, browse };
}

interface ParsedForm {
	action: string;
	/** Checkbox and hidden inputs: name, value, and whether ticked / fixed. */
	inputs: {
		name?: string;
		value?: string;
		checked: boolean;
		disabled: boolean;
		type: string;
	}[];
}

function parseForm(html: string, base: URL): ParsedForm {
	const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
	if (action === undefined)
		throw new Error(`no form in: ${html.slice(0, 400)}`);
	const inputs = [...html.matchAll(/<input ([^>]*)>/g)].map(
		([, attributes = ""]) => ({
			type: /type="([^"]*)"/.exec(attributes)?.[1] ?? "text",
			name: /name="([^"]*)"/.exec(attributes)?.[1],
			value: /value="([^"]*)"/.exec(attributes)?.[1],
			checked: / checked/.test(attributes),
			disabled: / disabled/.test(attributes),
		}),
	);
	return {
		action: new URL(action.replaceAll("&amp;", "&"), base).href,
		inputs,
	};
}

function postForm(fields: [string, string][]): RequestInit {
	return {
		method: "POST",
		headers: { "content-type": "application/x-www-form-urlencoded" },
		body: new URLSearchParams(fields).toString(),
	};
}

async function api(
	tether: DevTether,
	method: string,
	path: string,
	options: { token?: string; body?: unknown } = {},
	// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back
): Promise<{ status: number; body: any }> {
	const headers: Record<string, string> = {};
	if (options.token !== undefined)
		headers.authorization = `Bearer ${options.token}`;
	if (options.body !== undefined) headers["content-type"] = "application/json";
	const response = await fetch(`${tether.baseUrl}${path}`, {
		method,
		headers,
		...(options.body === undefined
			? {}
			: { body: JSON.stringify(options.body) }),
	});
	const text = await response.text();
	return {
		status: response.status,
		body: text === "" ? null : JSON.parse(text),
	};
}

describe("the development provider (npm start without config)", () => {
	let cwd: string;
	let port: number;
	let tether: DevTether;
	let appUrl: string;

	beforeAll(async () => {
		cwd = mkdtempSync(join(tmpdir(), "tether-dev-provider-"));
		port = await freePort();
		tether = await startDevTether(cwd, port);
		appUrl = `${tether.baseUrl}/app/`;
	});
	afterAll(async () => {
		await tether?.close();
	});

	/** From Tether's sign-in URL to the login page. */
	async function openLogin(browser: ReturnType<typeof createBrowser>) {
		const start = new URL(`${tether.baseUrl}/v1/signin/provider/dev`);
		start.searchParams.set("redirectTo", `${appUrl}after`);
		const { url, response } = await browser.browse(start, appUrl);
		expect(response.status).toBe(200);
		expect(url.pathname).toMatch(/^\/dev-oidc\/interaction\/[\w-]+$/);
		return { url, html: await response.text() };
	}

	/** Login as `name`, landing on the consent page. */
	async function signInAs(
		browser: ReturnType<typeof createBrowser>,
		name: string,
	) {
		const login = await openLogin(browser);
		const form = parseForm(login.html, login.url);
		const consent = await browser.browse(
			form.action,
			appUrl,
			postForm([["name", name]]),
		);
		expect(consent.response.status).toBe(200);
		return { url: consent.url, html: await consent.response.text() };
	}

	it("is configured as provider dev, with its client secret kept in secrets.json", () => {
		expect(tether.config.providers).toEqual([
			expect.objectContaining({
				id: "dev",
				type: "oidc",
				issuer: `${tether.baseUrl}/dev-oidc`,
				clientId: "tether-dev",
				refreshMarginSeconds: 20,
			}),
		]);
		const secrets = JSON.parse(
			readFileSync(join(cwd, ".tether/secrets.json"), "utf8"),
		);
		expect(secrets.developmentProviderClientSecret).toBe(
			tether.config.providers[0]?.clientSecret,
		);
		expect(statSync(join(cwd, ".tether/dev-provider.json")).mode & 0o777).toBe(
			0o600,
		);
	});

	it("answers discovery on Tether's port under /dev-oidc, and leaves the rest to Tether", async () => {
		const discovery = await fetch(
			`${tether.baseUrl}/dev-oidc/.well-known/openid-configuration`,
		);
		expect(discovery.status).toBe(200);
		const metadata = await discovery.json();
		expect(metadata).toMatchObject({
			issuer: `${tether.baseUrl}/dev-oidc`,
			authorization_endpoint: `${tether.baseUrl}/dev-oidc/auth`,
			token_endpoint: `${tether.baseUrl}/dev-oidc/token`,
			userinfo_endpoint: `${tether.baseUrl}/dev-oidc/me`,
			revocation_endpoint: `${tether.baseUrl}/dev-oidc/token/revocation`,
			code_challenge_methods_supported: ["S256"],
			authorization_response_iss_parameter_supported: true,
			response_types_supported: ["code"],
		});
		expect(metadata.scopes_supported).toEqual(
			expect.arrayContaining([
				"openid",
				"offline_access",
				"read:files",
				"write:files",
				"calendar",
			]),
		);
		expect((await fetch(`${tether.baseUrl}/v1/healthz`)).status).toBe(200);
		expect(
			(await fetch(`${tether.baseUrl}/dev-oidcx`)).headers.get("content-type"),
		).toMatch(/json/);
	});

	it("signs in through the login and consent pages, then serves and refreshes provider tokens", async () => {
		const browser = createBrowser();
		const login = await openLogin(browser);
		expect(login.html).toContain('<label for="name">Your name</label>');
		const consent = await signInAs(browser, "Ada Lovelace");
		expect(consent.html).toContain(
			"Signed in as <strong>ada-lovelace</strong>",
		);
		const form = parseForm(consent.html, consent.url);
		const boxes = form.inputs.filter((input) => input.type === "checkbox");
		expect(boxes.map((box) => box.value ?? "openid")).toEqual([
			"openid",
			"email",
			"profile",
			"offline_access",
		]);
		expect(boxes[0]).toMatchObject({ checked: true, disabled: true });
		expect(form.inputs).toContainEqual(
			expect.objectContaining({
				type: "hidden",
				name: "scope",
				value: "openid",
			}),
		);

		// Untick `profile`: the account gets what was ticked.
		const landed = await browser.browse(
			form.action,
			appUrl,
			postForm([
				["scope", "openid"],
				["scope", "email"],
				["scope", "offline_access"],
				["decision", "approve"],
			]),
		);
		expect(landed.url.href.startsWith(`${appUrl}after`)).toBe(true);
		const code = landed.url.searchParams.get("code");
		expect(code).toBeTruthy();

		const exchanged = await api(tether, "POST", "/v1/token/exchange", {
			body: { code },
		});
		expect(exchanged.status).toBe(200);
		const session = exchanged.body;
		expect(session.user.connectedAccounts).toEqual([
			expect.objectContaining({
				provider: "dev",
				providerAccountId: "ada-lovelace",
			}),
		]);
		expect(session.user.connectedAccounts[0].scopes).toEqual(
			expect.arrayContaining(["openid", "email", "offline_access"]),
		);
		expect(session.user.connectedAccounts[0].scopes).not.toContain("profile");

		const path = "/v1/connected-accounts/me/dev/ada-lovelace/access-token";
		const first = await api(tether, "POST", path, {
			token: session.accessToken,
		});
		expect(first.status).toBe(200);
		const userinfo = await fetch(`${tether.baseUrl}/dev-oidc/me`, {
			headers: { authorization: `Bearer ${first.body.accessToken}` },
		});
		expect(userinfo.status).toBe(200);
		expect(await userinfo.json()).toMatchObject({
			sub: "ada-lovelace",
			email: "ada-lovelace@dev.tether.local",
			email_verified: true,
		});

		// 60 s tokens with a 20 s margin: 45 s later Tether refreshes (rotating the refresh token).
		tether.skewMs = 45_000;
		const refreshed = await api(tether, "POST", path, {
			token: session.accessToken,
		});
		expect(refreshed.status).toBe(200);
		expect(refreshed.body.accessToken).not.toBe(first.body.accessToken);
		tether.skewMs = 0;
	});

	it("takes the user's denial back to the app as error=access_denied", async () => {
		const browser = createBrowser();
		const consent = await signInAs(browser, "bob");
		const form = parseForm(consent.html, consent.url);
		const landed = await browser.browse(
			form.action,
			appUrl,
			postForm([["decision", "deny"]]),
		);
		expect(landed.url.href.startsWith(`${appUrl}after`)).toBe(true);
		expect(landed.url.searchParams.get("error")).toBe("access_denied");
		expect(landed.url.searchParams.get("code")).toBeNull();
	});

	it("asks for a name every time, so one browser can sign in as someone else", async () => {
		const browser = createBrowser();
		async function signInAndExchange(name: string) {
			const consent = await signInAs(browser, name);
			const form = parseForm(consent.html, consent.url);
			const landed = await browser.browse(
				form.action,
				appUrl,
				postForm([["decision", "approve"]]),
			);
			return api(tether, "POST", "/v1/token/exchange", {
				body: { code: landed.url.searchParams.get("code") },
			});
		}
		const dora = await signInAndExchange("dora");
		expect(dora.body.user.connectedAccounts[0].providerAccountId).toBe("dora");

		const again = await openLogin(browser);
		expect(again.html).toContain('value="dora"');
		const erin = await signInAndExchange("Erin");
		expect(erin.status).toBe(200);
		expect(erin.body.user.connectedAccounts[0].providerAccountId).toBe("erin");
		expect(erin.body.user.id).not.toBe(dora.body.user.id);
		const erinAgain = await signInAndExchange("erin");
		expect(erinAgain.body.user.id).toBe(erin.body.user.id);
	});

	it("asks again for an unusable name, escaping what was typed", async () => {
		const browser = createBrowser();
		const login = await openLogin(browser);
		const form = parseForm(login.html, login.url);
		const again = await browser.request(
			form.action,
			postForm([["name", '"<>&']]),
		);
		expect(again.status).toBe(400);
		const html = await again.text();
		expect(html).toContain('role="alert"');
		expect(html).toContain('value="&quot;&lt;&gt;&amp;"');
		expect(html).not.toContain('"<>&');
		expect(again.headers.get("content-security-policy")).toContain(
			"default-src 'none'",
		);
	});

	it("refuses a form posted without the sign-in's cookie (another site, another browser)", async () => {
		const login = await openLogin(createBrowser());
		const form = parseForm(login.html, login.url);
		const stranger = await fetch(form.action, {
			...postForm([["name", "mallory"]]),
			redirect: "manual",
		});
		expect(stranger.status).toBe(400);
		expect(await stranger.text()).toContain("This sign-in has expired");
	});

	it("keeps its keys and grants across a restart, so linked accounts keep refreshing", async () => {
		const browser = createBrowser();
		const consent = await signInAs(browser, "carol");
		const form = parseForm(consent.html, consent.url);
		const landed = await browser.browse(
			form.action,
			appUrl,
			postForm([
				...form.inputs
					.filter(
						(input) => input.name === "scope" && input.value !== undefined,
					)
					.map((input): [string, string] => ["scope", input.value ?? ""]),
				["decision", "approve"],
			]),
		);
		const exchanged = await api(tether, "POST", "/v1/token/exchange", {
			body: { code: landed.url.searchParams.get("code") },
		});
		expect(exchanged.status).toBe(200);
		const jwksBefore = await (
			await fetch(`${tether.baseUrl}/dev-oidc/jwks`)
		).json();

		await tether.close();
		tether = await startDevTether(cwd, port);

		// fetch's pool may still hold a keep-alive socket to the old process; a GET may retry.
		const jwksUrl = `${tether.baseUrl}/dev-oidc/jwks`;
		const jwksAfter = await (
			await fetch(jwksUrl).catch(() => fetch(jwksUrl))
		).json();
		expect(jwksAfter).toEqual(jwksBefore);
		tether.skewMs = 45_000;
		const refreshed = await api(
			tether,
			"POST",
			"/v1/connected-accounts/me/dev/carol/access-token",
			{ token: exchanged.body.accessToken },
		);
		tether.skewMs = 0;
		expect(refreshed.status).toBe(200);
		expect(
			statSync(join(cwd, ".tether/dev-provider-data.json")).mode & 0o777,
		).toBe(0o600);
	});
});

describe("development provider configuration", () => {
	it("adds the client secret to a secrets.json from before the development provider", () => {
		const cwd = mkdtempSync(join(tmpdir(), "tether-dev-secrets-"));
		mkdirSync(join(cwd, ".tether"));
		const old = {
			encryptionKeys: [`dev1:${Buffer.alloc(32, 3).toString("base64")}`],
			secretKeys: [`tsk_${"a".repeat(32)}`],
		};
		writeFileSync(join(cwd, ".tether/secrets.json"), JSON.stringify(old));
		const config = loadConfig({ env: {}, cwd });
		expect(config.encryptionKeys).toEqual(old.encryptionKeys);
		expect(config.secretKeys).toEqual(old.secretKeys);
		const stored = JSON.parse(
			readFileSync(join(cwd, ".tether/secrets.json"), "utf8"),
		);
		expect(stored).toMatchObject(old);
		expect(stored.developmentProviderClientSecret).toMatch(/^[\w-]{43}$/);
		expect(config.providers[0]?.clientSecret).toBe(
			stored.developmentProviderClientSecret,
		);
		expect(loadConfig({ env: {}, cwd }).providers[0]?.clientSecret).toBe(
			stored.developmentProviderClientSecret,
		);
	});

	it("is refused in production", () => {
		expect(() =>
			parseConfig({
				baseUrl: "https://tether.example.test",
				database: "sqlite::memory:",
				encryptionKeys: [`k1:${Buffer.alloc(32, 1).toString("base64")}`],
				allowedRedirectUrls: ["https://app.example.test/"],
				developmentProvider: true,
			}),
		).toThrow(
			/developmentProvider: the development provider cannot run in production/,
		);
	});
});
