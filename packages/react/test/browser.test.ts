import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { launchChromium } from "@tether/testkit/chromium";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestTether, type TestTether } from "../../server/test/harness.ts";

/**
 * @tether/react in a real browser (Debian Chromium through playwright-core) against a live
 * Tether and the real oidc-provider upstream (40-second tokens, strict rotation),
 * configured as provider `google` so the reference's component runs as written.
 */
describe("@tether/react in Chromium", () => {
	let tether: TestTether;
	let app: Server;
	let appUrl: string;
	let browser: Browser;
	let page: Page;

	beforeAll(async () => {
		app = createServer();
		await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
		appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/app/`;
		tether = await startTestTether({
			accessTokenTtlSeconds: 40,
			providers: (upstream) => [
				{
					id: "google",
					type: "oidc",
					issuer: upstream.issuer,
					clientId: upstream.clientId,
					clientSecret: upstream.clientSecret,
					scopes: ["openid", "email", "profile", "offline_access"],
				},
			],
			config: { allowedRedirectUrls: [appUrl], refreshMarginSeconds: 30 },
		});
		await tether.upstream.addRedirectUri(
			`${tether.baseUrl}/v1/signin/provider/google/callback`,
		);
		const bundle = await build({
			entryPoints: [
				fileURLToPath(new URL("./fixtures/reference-app.tsx", import.meta.url)),
			],
			bundle: true,
			write: false,
			format: "esm",
			jsx: "automatic",
			define: {
				TETHER_URL: JSON.stringify(tether.baseUrl),
				"process.env.NODE_ENV": '"development"',
			},
			logLevel: "silent",
		});
		const script = bundle.outputFiles[0]?.text ?? "";
		app.on("request", (req, res) => {
			if (req.url?.startsWith("/app/bundle.js")) {
				res.writeHead(200, { "content-type": "text/javascript" });
				res.end(script);
				return;
			}
			res.writeHead(200, { "content-type": "text/html" });
			res.end(
				'<!doctype html><html lang="en"><title>app</title><div id="root"></div><script type="module" src="/app/bundle.js"></script></html>',
			);
		});
		browser = await launchChromium();
		page = await (await browser.newContext()).newPage();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await tether?.close();
		app?.close();
	});

	const tokenText = async () =>
		(await page.getByText(/^Token: /).textContent()) ?? "";

	it("renders the reference's MyComponent as written: sign-in by redirect, then a token, then a newer one", async () => {
		tether.upstream.login("ada");
		await page.goto(appUrl);
		await page.getByText(/^Token: /).waitFor({ timeout: 30_000 });
		const first = await tokenText();
		expect(first.length).toBeGreaterThan("Token: ".length + 10);
		expect(new URL(page.url()).search).toBe("");
		// 40-second tokens refreshed 30 s before expiry: a new one within ~15 s, without a reload.
		await expect
			.poll(tokenText, { timeout: 30_000, interval: 1000 })
			.not.toBe(first);
		expect(tether.upstream.counters.grantsRevoked).toBe(0);
	}, 90_000);

	it("links by popup: the promise resolves with the upgraded account and the list updates", async () => {
		tether.upstream.login("ada");
		await page.getByRole("button", { name: "Link read in a popup" }).click();
		await expect
			.poll(() => page.getByTestId("linked").textContent(), {
				timeout: 30_000,
			})
			.toMatch(/^ada .*\bread\b/);
		await expect
			.poll(() => page.getByTestId("account").first().textContent())
			.toContain("read");
		expect(
			await page.getByTestId("account").first().textContent(),
		).not.toContain("write");
	}, 60_000);

	it("links by redirect: the page leaves, comes back, and redeems the link", async () => {
		tether.upstream.login("ada");
		const codesBefore =
			tether.upstream.counters.tokenRequests.authorization_code;
		const navigations: string[] = [];
		page.on("framenavigated", (frame) => {
			if (frame === page.mainFrame()) navigations.push(frame.url());
		});
		await page.getByRole("button", { name: "Link write by redirect" }).click();
		await expect
			.poll(
				async () =>
					(await page.getByTestId("account").allTextContents()).join("|"),
				{ timeout: 30_000 },
			)
			.toMatch(/write/);
		// The page left (for the provider, by redirects) and came back to the app.
		expect(navigations.length).toBeGreaterThan(0);
		expect(tether.upstream.counters.tokenRequests.authorization_code).toBe(
			codesBefore + 1,
		);
		expect(new URL(page.url()).search).toBe("");
	}, 60_000);

	it("updates every reader after an unlink", async () => {
		const before = await page.getByTestId("account").count();
		const last = page.getByTestId("account").last();
		const name = ((await last.textContent()) ?? "").split(":")[0] ?? "";
		await page.getByRole("button", { name: `Unlink ${name}` }).click();
		await expect
			.poll(() => page.getByTestId("account").count(), { timeout: 15_000 })
			.toBe(before - 1);
	}, 30_000);
});
