import { join, resolve } from "node:path";
import { errorCodes } from "@tether/api";
import {
	hasChromium,
	launchChromium,
	screenshotsDir,
} from "@tether/testkit/chromium";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeHtml, renderApiReference } from "../src/routes/docs.ts";
import { startTestTether, type TestTether } from "./harness.ts";

const methods = ["get", "put", "post", "patch", "delete", "head", "options"];
const screenshots = screenshotsDir(
	resolve(import.meta.dirname, "../../../docs/screenshots"),
);

/** `GET /docs`: the OpenAPI description as HTML, from the same document `/openapi.json` serves. */
describe("the API reference at /docs", () => {
	let tether: TestTether;
	let doc: {
		paths: Record<string, Record<string, { summary?: string }>>;
		components: { schemas: Record<string, unknown> };
	};
	let html: string;
	let response: Response;
	beforeAll(async () => {
		tether = await startTestTether();
		doc = await (await tether.server.app.request("/openapi.json")).json();
		response = await tether.server.app.request("/docs");
		html = await response.text();
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("answers 200 HTML with a Content-Security-Policy that allows no script", () => {
		expect(response.status).toBe(200);
		expect(response.headers.get("content-type")).toMatch(
			/^text\/html; charset=utf-8/i,
		);
		const csp = response.headers.get("content-security-policy") ?? "";
		expect(csp).toContain("default-src 'none'");
		expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
		expect(csp).not.toContain("unsafe-inline");
		expect(csp).not.toContain("script-src");
		expect(response.headers.get("x-content-type-options")).toBe("nosniff");
		expect(html).not.toMatch(/<script/i);
		expect(html).not.toMatch(/\son[a-z]+=/i);
		expect(html).not.toMatch(/\sstyle=/i);
	});

	it("shows every operation of openapi.json, with an anchor the sidebar links to", () => {
		const paths = Object.keys(doc.paths);
		expect(paths.length).toBeGreaterThan(20);
		for (const [path, item] of Object.entries(doc.paths)) {
			for (const method of methods) {
				if (item[method] === undefined) continue;
				const heading = `<span class="method m-${method}">${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code>`;
				expect(html.replaceAll("<wbr>", ""), `${method} ${path}`).toContain(
					heading,
				);
				const summary = item[method]?.summary;
				if (summary !== undefined)
					expect(html).toContain(escapeHtml(summary).split("`")[0]);
			}
		}
		const operations = Object.values(doc.paths).flatMap((item) =>
			methods.filter((method) => item[method] !== undefined),
		);
		const articles = html.match(/<article id="[^"]+" class="operation"/g);
		expect(articles).toHaveLength(operations.length);
		const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
		expect(new Set(ids).size).toBe(ids.length);
		for (const [, target] of html.matchAll(/href="#([^"]+)"/g))
			expect(ids, `link to #${target}`).toContain(target);
	});

	it("groups operations, names their auth, parameters, bodies, responses and error codes", () => {
		for (const group of [
			"Sign-in",
			"Sessions",
			"Connected accounts",
			"Linking",
			"Admin",
		])
			expect(html).toContain(`>${group}</h2>`);
		const accessToken = html.slice(
			html.indexOf(
				'id="op-post-v1-connected-accounts-user-provider-provideraccountid-access-token"',
			),
		);
		const article = accessToken.slice(0, accessToken.indexOf("</article>"));
		expect(article).toContain('href="#auth-session"');
		expect(article).toContain('href="#auth-secretkey"');
		expect(article).toContain("<code>providerAccountId</code>");
		expect(article).toContain("Request body (optional)");
		expect(article).toContain('<code class="prop">scopes</code>');
		expect(article).toContain('href="#schema-accesstoken"');
		expect(article).toContain(
			'<a href="#error-oauth-access-token-not-available">OAUTH_ACCESS_TOKEN_NOT_AVAILABLE</a>',
		);
		for (const schema of Object.keys(doc.components.schemas))
			expect(html).toContain(`id="schema-${schema.toLowerCase()}"`);
		for (const code of Object.keys(errorCodes))
			expect(html).toContain(`<code>${code}</code>`);
	});

	it("has the landmarks and headings a screen reader needs", () => {
		expect(html).toMatch(/<html lang="en">/);
		expect(html).toContain('<a class="skip" href="#main">');
		expect(html).toMatch(/<nav [^>]*aria-label="[^"]+"/);
		expect(html).toContain('<main id="main"');
		expect(html.match(/<h1[ >]/g)).toHaveLength(1);
	});

	it("escapes everything the document says", () => {
		const hostile = "<img src=x onerror=alert(1)>&\"'";
		const page = renderApiReference({
			openapi: "3.1.0",
			info: { title: hostile, version: hostile, description: hostile },
			paths: {
				[`/v1/${hostile}`]: {
					get: {
						tags: [hostile],
						summary: hostile,
						description: `\`${hostile}\``,
						security: [{ [hostile]: [] }],
						parameters: [
							{
								name: hostile,
								in: "query",
								description: hostile,
								schema: { type: "string", pattern: hostile, enum: [hostile] },
							},
						],
						requestBody: {
							content: {
								[hostile]: {
									schema: {
										type: "object",
										properties: { [hostile]: { type: hostile } },
									},
								},
							},
						},
						responses: {
							[hostile]: { description: hostile },
							"400": {
								description: hostile,
								content: {
									"application/json": {
										schema: { $ref: `#/components/schemas/${hostile}` },
									},
								},
							},
						},
					},
				},
			},
			components: {
				schemas: { [hostile]: { type: "object", description: hostile } },
				securitySchemes: { [hostile]: { type: "http", description: hostile } },
			},
		});
		expect(page).not.toContain("<img");
		expect(page).not.toContain("onerror=alert(1)>");
		expect(page).toContain(
			"&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;",
		);
	});

	it("is served in production too, and refuses no one", async () => {
		const production = await tether.server.app.request("/docs/");
		expect(production.status).toBe(200);
		expect(tether.server.config.mode).toBe("production");
	});

	describe.skipIf(!hasChromium())(
		`in Chromium${hasChromium() ? "" : " (skipped: /usr/bin/chromium not installed)"}`,
		() => {
			it("renders without CSP violations, shows a focus ring, and is screenshotted for the docs", async () => {
				const browser = await launchChromium();
				try {
					const page = await browser.newPage({
						viewport: { width: 1280, height: 900 },
					});
					const problems: string[] = [];
					page.on("console", (message) => {
						if (message.type() === "error") problems.push(message.text());
					});
					page.on("pageerror", (error) => problems.push(error.message));
					await page.goto(`${tether.baseUrl}/docs`);
					expect(problems).toEqual([]);
					// The stylesheet applied (the CSP hash matches): the sidebar sits beside the content.
					const nav = await page
						.getByRole("navigation", { name: "API reference contents" })
						.boundingBox();
					expect(nav?.width).toBeGreaterThan(200);
					expect(nav?.width).toBeLessThan(400);
					// The first Tab lands on the skip link, visibly.
					await page.keyboard.press("Tab");
					const skip = page.getByRole("link", {
						name: "Skip to the reference",
					});
					await expect
						.poll(() => skip.evaluate((el) => el === document.activeElement))
						.toBe(true);
					const outline = await skip.evaluate(
						(el) => getComputedStyle(el).outlineStyle,
					);
					expect(outline).toBe("solid");
					// A sidebar link jumps to its operation.
					await page
						.getByRole("navigation")
						.getByRole("link", { name: /GET \/v1\/user$/ })
						.click();
					expect(new URL(page.url()).hash).toBe("#op-get-v1-user");
					await page.goto(`${tether.baseUrl}/docs#group-connected-accounts`);
					await page.screenshot({
						path: join(screenshots, "api-reference.png"),
					});
					expect(problems).toEqual([]);
				} finally {
					await browser.close();
				}
			});
		},
	);
});
