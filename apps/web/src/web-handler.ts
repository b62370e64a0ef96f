import { readFile } from "node:fs/promises";
import { createBundler } from "./bundle.ts";

export interface WebHandlerOptions {
	/**
	 * `development`: the demo at `/` and the dashboard at `/dashboard`, scripts with inline
	 * sourcemaps. `production`: no demo; the dashboard only when `dashboard` is true, minified.
	 */
	mode: "development" | "production";
	/**
	 * Serve the dashboard. Default: true in development, false in production, where it should be
	 * on only when an `adminSecret` is configured (the page asks for it).
	 */
	dashboard?: boolean;
}

/** A fetch-style handler for the pages and their assets; mount `paths` on the server with GET. */
export interface WebHandler {
	/** The exact paths this handler answers; empty when nothing is served. */
	readonly paths: readonly string[];
	fetch(request: Request): Promise<Response>;
}

interface Page {
	title: string;
	script: string;
	entry: string;
}

const source = (name: string) => new URL(`./${name}`, import.meta.url).pathname;

const demoPage: Page = {
	title: "Tether demo",
	script: "/web/demo.js",
	entry: source("demo/main.tsx"),
};
const dashboardPage: Page = {
	title: "Tether dashboard",
	script: "/web/dashboard.js",
	entry: source("dashboard/main.tsx"),
};
const stylesPath = "/web/styles.css";

// Scripts and styles come from this origin only; the API is same-origin too. React sets inline
// styles through the CSSOM, which `style-src 'self'` allows.
const contentSecurityPolicy =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

function html(page: Page): string {
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${stylesPath}">
<script type="module" src="${page.script}"></script>
</head>
<body>
<div id="root"><noscript><p>This page needs JavaScript.</p></noscript></div>
</body>
</html>
`;
}

function respond(
	body: string,
	type: string,
	development: boolean,
	status = 200,
): Response {
	return new Response(body, {
		status,
		headers: {
			"Content-Type": type,
			// Bundles are rebuilt only on restart; `no-cache` revalidates every load either way.
			"Cache-Control": development ? "no-store" : "no-cache",
			"Content-Security-Policy": contentSecurityPolicy,
			"Referrer-Policy": "no-referrer",
			"X-Content-Type-Options": "nosniff",
		},
	});
}

/** An error the browser shows in the console and on the page, instead of a blank page. */
function failedBuildScript(error: unknown): string {
	const message =
		error instanceof Error ? error.message : `Build failed: ${String(error)}`;
	return `const message = ${JSON.stringify(message)};
console.error(message);
const pre = document.createElement("pre");
pre.textContent = message;
document.body.replaceChildren(pre);
`;
}

/**
 * The demo page and the admin dashboard (SPEC: `npm start` shows a demo and the dashboard).
 * The server mounts `paths` after its API routes; bundling happens on the first request.
 */
export function createWebHandler(options: WebHandlerOptions): WebHandler {
	const development = options.mode === "development";
	const dashboard = options.dashboard ?? development;
	const bundler = createBundler();
	const pages = new Map<string, Page>();
	if (development) pages.set("/", demoPage);
	if (dashboard) pages.set("/dashboard", dashboardPage);
	const scripts = new Map(
		[...pages.values()].map((page) => [page.script, page]),
	);
	let styles: Promise<string> | undefined;

	const paths =
		pages.size === 0 ? [] : [...pages.keys(), ...scripts.keys(), stylesPath];

	return {
		paths,
		async fetch(request) {
			const path = new URL(request.url).pathname;
			const page = pages.get(path);
			if (page !== undefined)
				return respond(html(page), "text/html; charset=utf-8", development);
			const script = scripts.get(path);
			if (script !== undefined) {
				try {
					const code = await bundler.get({ entry: script.entry, development });
					return respond(code, "text/javascript; charset=utf-8", development);
				} catch (error) {
					if (!development) throw error;
					return respond(
						failedBuildScript(error),
						"text/javascript; charset=utf-8",
						development,
					);
				}
			}
			if (path === stylesPath && paths.length > 0) {
				styles ??= readFile(source("styles.css"), "utf8");
				return respond(await styles, "text/css; charset=utf-8", development);
			}
			return new Response("Not found\n", {
				status: 404,
				headers: { "Content-Type": "text/plain; charset=utf-8" },
			});
		},
	};
}
