import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { launchChromium, screenshotsDir } from "@tether/testkit/chromium";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../../..");
const bin = join(root, "packages/cli/bin/tether.js");
const screenshots = screenshotsDir(join(root, "docs/screenshots"));

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	const address = server.address();
	await new Promise((r) => server.close(r));
	if (address === null || typeof address === "string")
		throw new Error("no port");
	return address.port;
}

/** `tether start` in an empty directory: the development setup a newcomer gets from `npm start`. */
async function startTether(
	cwd: string,
	port: number,
	env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
	const child = spawn(process.execPath, [bin, "start"], {
		cwd,
		env: { ...process.env, PORT: String(port), LOG_LEVEL: "warn", ...env },
	});
	let output = "";
	const url = await new Promise<string>((resolveUrl, reject) => {
		const timer = setTimeout(
			() => reject(new Error(`no URL printed; output:\n${output}`)),
			30_000,
		);
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			const match = /Tether is running: (\S+)/.exec(output);
			if (match?.[1] !== undefined) {
				clearTimeout(timer);
				resolveUrl(match[1]);
			}
		};
		child.stdout?.on("data", onData);
		child.stderr?.on("data", onData);
		child.once("exit", (code) => {
			clearTimeout(timer);
			reject(new Error(`exited ${code}; output:\n${output}`));
		});
	});
	return { child, url, output: () => output };
}

/** The development provider's two pages: a name, then Approve on the consent screen. */
async function passProvider(
	page: Page,
	name: string | undefined,
	shot?: string,
): Promise<void> {
	await page.waitForURL(/\/dev-oidc\/interaction\//);
	const nameField = page.getByLabel("Your name");
	if (name !== undefined) await nameField.fill(name);
	if (shot !== undefined) await page.screenshot({ path: shot });
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.getByRole("button", { name: "Approve" }).click();
	await page.waitForURL((url) => !url.pathname.startsWith("/dev-oidc"));
}

describe("the demo and the dashboard in Chromium", () => {
	let tether: Awaited<ReturnType<typeof startTether>>;
	let browser: Browser;
	let page: Page;
	const consoleErrors: string[] = [];

	beforeAll(async () => {
		const cwd = mkdtempSync(join(tmpdir(), "tether-web-"));
		tether = await startTether(cwd, await freePort());
		browser = await launchChromium();
		const context = await browser.newContext({
			viewport: { width: 1100, height: 900 },
		});
		page = await context.newPage();
		page.on("console", (message) => {
			// A 409 for a token without the asked scopes is the demo working, not an error.
			if (
				message.type() === "error" &&
				!message.text().startsWith("Failed to load resource")
			)
				consoleErrors.push(message.text());
		});
		page.on("response", (response) => {
			if (response.status() >= 500)
				consoleErrors.push(`${response.status()} ${response.url()}`);
		});
		page.on("pageerror", (error) => consoleErrors.push(error.message));
	});

	afterAll(async () => {
		await browser?.close();
		tether?.child.kill("SIGTERM");
	});

	it("prints one URL, whose page walks a newcomer from sign-in to an access token and back", async () => {
		expect(tether.output().match(/https?:\/\//g)).toHaveLength(1);
		await page.goto(tether.url);
		await expect
			.poll(() => page.getByRole("heading", { name: /Sign in/ }).count())
			.toBe(1);
		await page.screenshot({ path: join(screenshots, "demo-signed-out.png") });

		// Keyboard only: Tab to the button, Enter.
		await page.keyboard.press("Tab");
		await page.keyboard.press("Tab");
		await page.keyboard.press("Tab");
		const focused = await page.evaluate(
			() => document.activeElement?.textContent ?? "",
		);
		expect(focused).toContain("Sign in with the development provider");
		await page.keyboard.press("Enter");
		await passProvider(
			page,
			"Ada Lovelace",
			join(screenshots, "demo-provider-login.png"),
		);

		await page.getByText("Signed in as Ada Lovelace").waitFor();
		const ada = page.getByTestId("account-ada-lovelace");
		await ada.waitFor();
		expect(await ada.textContent()).toContain("offline_access");
		expect(await ada.textContent()).toContain("active");
		const token = page.getByTestId("access-token");
		await token.waitFor();
		expect((await token.getAttribute("title"))?.length).toBeGreaterThan(10);
		expect(await page.getByTestId("countdown").textContent()).toMatch(
			/^\d+ s$/,
		);

		await page
			.getByRole("button", { name: "Call userinfo with this token" })
			.click();
		await expect
			.poll(() => page.getByTestId("userinfo").textContent())
			.toContain('"sub": "ada-lovelace"');
		await page.screenshot({
			path: join(screenshots, "demo-token.png"),
			fullPage: true,
		});

		// A scope the account lacks: insufficient scopes, then link more.
		await page.getByRole("button", { name: "Token with read:files" }).click();
		await expect
			.poll(() => page.getByTestId("scope-result").textContent())
			.toMatch(/insufficient scopes \(missing read:files\)/);
		await page
			.getByRole("heading", { name: /Ask for more/ })
			.scrollIntoViewIfNeeded();
		await page.screenshot({
			path: join(screenshots, "demo-insufficient-scopes.png"),
			fullPage: true,
		});
		await page
			.getByRole("button", { name: "Link more: grant read:files" })
			.click();
		// The login page is prefilled with the account being upgraded.
		await page.waitForURL(/\/dev-oidc\/interaction\//);
		expect(await page.getByLabel("Your name").inputValue()).toBe(
			"ada-lovelace",
		);
		await passProvider(page, undefined);
		await expect
			.poll(() => page.getByTestId("account-ada-lovelace").textContent())
			.toContain("read:files");
		await page.getByRole("button", { name: "Token with read:files" }).click();
		await expect
			.poll(() => page.getByTestId("scope-result").textContent())
			.toContain("Got a token carrying read:files");

		// A second account at the same provider.
		await page.getByRole("button", { name: "Link another account" }).click();
		await passProvider(page, "Grace Hopper");
		await page.getByTestId("account-grace-hopper").waitFor();
		expect(await page.getByTestId("account-ada-lovelace").count()).toBe(1);
		await page.screenshot({
			path: join(screenshots, "demo-two-accounts.png"),
			fullPage: true,
		});

		await page.getByRole("button", { name: "Unlink grace-hopper" }).click();
		await expect
			.poll(() => page.getByTestId("account-grace-hopper").count())
			.toBe(0);
		await page.getByText("Unlinked dev/grace-hopper").waitFor();
		expect(consoleErrors).toEqual([]);
	});

	it("shows providers, a chart, users with their accounts, the audit log, and force-refreshes an account", async () => {
		await page.goto(`${tether.url}dashboard#users`);
		await page.getByRole("button", { name: "Ada Lovelace" }).click();
		await page.getByRole("heading", { name: "Connected accounts" }).waitFor();
		await page
			.getByRole("button", { name: "Force refresh dev/ada-lovelace" })
			.click();
		await expect
			.poll(() => page.getByRole("status").first().textContent())
			.toMatch(/Refreshed dev\/ada-lovelace|Not refreshed/);
		await page.screenshot({
			path: join(screenshots, "dashboard-user.png"),
			fullPage: true,
		});

		await page.getByRole("link", { name: "Providers" }).click();
		await page.getByRole("heading", { name: "Providers" }).waitFor();
		const providers = page.locator("table").first();
		await expect.poll(() => providers.textContent()).toContain("dev");
		expect(await providers.textContent()).toContain("closed");
		// The forced refresh is in the chart once the audit batch is written (every second).
		await expect
			.poll(
				async () => {
					await page.getByRole("button", { name: "Reload" }).click();
					return page.getByTestId("refresh-chart").getAttribute("aria-label");
				},
				{ timeout: 10_000 },
			)
			.toMatch(/^[1-9]\d* refresh/);
		await page.getByTestId("refresh-chart").waitFor();
		await page.screenshot({
			path: join(screenshots, "dashboard-providers.png"),
			fullPage: true,
		});

		await page.getByRole("link", { name: "Audit log" }).click();
		await page.getByRole("heading", { name: "Audit log" }).waitFor();
		// The audit log is written in batches every second.
		await expect
			.poll(
				async () => {
					await page.getByRole("button", { name: "Reload" }).click();
					return page.locator("table").first().textContent();
				},
				{ timeout: 10_000 },
			)
			.toContain("account.refresh_forced");
		const audit = (await page.locator("table").first().textContent()) ?? "";
		for (const kind of ["account.linked", "account.unlinked"])
			expect(audit).toContain(kind);
		await page.screenshot({
			path: join(screenshots, "dashboard-audit.png"),
			fullPage: true,
		});

		await page.getByRole("link", { name: "Webhooks" }).click();
		await page.getByRole("heading", { name: "Webhooks" }).waitFor();
		expect(consoleErrors).toEqual([]);
	});

	it("refreshes the 60-second token on its own while the demo is open", async () => {
		await page.goto(tether.url);
		const countdown = page.getByTestId("countdown");
		await countdown.waitFor();
		const first = await page.getByTestId("access-token").getAttribute("title");
		// Tether refreshes 20 s before expiry; the page asks again from 30 s before.
		await page
			.getByTestId("refresh-count")
			.getByText("1 time while you watched")
			.waitFor({ timeout: 50_000 });
		expect(
			await page.getByTestId("access-token").getAttribute("title"),
		).not.toBe(first);
		const left = Number.parseInt((await countdown.textContent()) ?? "", 10);
		expect(left).toBeGreaterThan(40);
		await page.getByTestId("countdown").scrollIntoViewIfNeeded();
		await page.screenshot({ path: join(screenshots, "demo-refreshed.png") });
		expect(consoleErrors).toEqual([]);
	}, 70_000);
});

describe("the dashboard in production", () => {
	const adminSecret = "an-admin-secret-of-at-least-32-characters";
	let tether: Awaited<ReturnType<typeof startTether>>;
	let browser: Browser;

	beforeAll(async () => {
		const cwd = mkdtempSync(join(tmpdir(), "tether-web-prod-"));
		const port = await freePort();
		writeFileSync(
			join(cwd, "tether.json"),
			JSON.stringify({
				baseUrl: `http://127.0.0.1:${port}`,
				database: "sqlite:./tether.db",
				encryptionKeys: [`k1:${Buffer.alloc(32, 7).toString("base64")}`],
				allowedRedirectUrls: [`http://127.0.0.1:${port}/app/`],
				adminSecret,
			}),
		);
		tether = await startTether(cwd, port, {
			TETHER_CONFIG: "tether.json",
			HOST: "127.0.0.1",
		});
		browser = await launchChromium();
	});

	afterAll(async () => {
		await browser?.close();
		tether?.child.kill("SIGTERM");
	});

	it("serves no demo, and asks for the admin secret before showing anything", async () => {
		expect((await fetch(tether.url)).status).toBe(404);
		const page = await browser.newPage({
			viewport: { width: 1100, height: 700 },
		});
		await page.goto(`${tether.url}dashboard`);
		const field = page.getByLabel("Admin secret");
		await field.fill("wrong");
		await page.getByRole("button", { name: "Open the dashboard" }).click();
		await page.getByText("That secret was not accepted.").waitFor();
		await field.fill(adminSecret);
		await page.screenshot({ path: join(screenshots, "dashboard-secret.png") });
		await page.getByRole("button", { name: "Open the dashboard" }).click();
		await page.getByRole("heading", { name: "Providers" }).waitFor();
		expect(
			await page.evaluate(() => sessionStorage.getItem("tether.adminSecret")),
		).toBe(adminSecret);
		// Minified, without a sourcemap.
		const script = await (await fetch(`${tether.url}web/dashboard.js`)).text();
		expect(script).not.toContain("sourceMappingURL");
		await page.close();
	});
});
