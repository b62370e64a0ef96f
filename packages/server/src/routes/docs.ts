import { createHash } from "node:crypto";
import { errorCodes, isErrorCode } from "@tether/api";
import { createRouter } from "../http/env.ts";

/**
 * `GET /docs`: the OpenAPI description as a browsable HTML reference, rendered on the server from
 * the very document `/openapi.json` serves (asked of the app itself, once), so the two cannot
 * disagree. No scripts at all; one stylesheet, allowed by its hash in the Content-Security-Policy.
 * It shows the API's shape only — nothing about this deployment — so it is served in every mode.
 */

/** What the page is built from: the app, whose `/openapi.json` it asks for. */
export interface OpenApiSource {
	request(path: string): Response | Promise<Response>;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
	typeof value === "object" && value !== null && !Array.isArray(value);
const record = (value: unknown): Json => (isRecord(value) ? value : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
	typeof value === "string" ? value : undefined;

const escapes: Record<string, string> = {
	"&": "&amp;",
	"<": "&lt;",
	">": "&gt;",
	'"': "&quot;",
	"'": "&#39;",
};

/** Every string from the document goes through this before it reaches the page. */
export function escapeHtml(value: string): string {
	return value.replace(/[&<>"']/g, (ch) => escapes[ch] ?? ch);
}

const slug = (value: string) =>
	value
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, "-")
		.replace(/^-+|-+$/g, "");

/** Escaped prose: `backticks` become code, known error codes link to the error table. */
function prose(value: string): string {
	return escapeHtml(value)
		.replace(/`([^`]+)`/g, "<code>$1</code>")
		.replace(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g, (code) =>
			isErrorCode(code) ? `<a href="#error-${slug(code)}">${code}</a>` : code,
		);
}

const methods = ["get", "put", "post", "patch", "delete", "head", "options"];

/** Untagged operations are grouped by the resource their path names. */
const groupNames: Record<string, string> = {
	signin: "Sign-in",
	token: "Sessions",
	signout: "Sessions",
	user: "User",
	"connected-accounts": "Connected accounts",
	link: "Linking",
	".well-known": "Keys",
	healthz: "Health and metrics",
	metrics: "Health and metrics",
	admin: "Admin",
};
const groupOrder = [...new Set(Object.values(groupNames))];

interface Operation {
	anchor: string;
	method: string;
	path: string;
	group: string;
	op: Json;
	parameters: Json[];
}

function groupOf(path: string, op: Json): string {
	const tag = text(list(op.tags)[0]);
	const key =
		tag ?? path.split("/").find((part) => part !== "" && part !== "v1") ?? "";
	return groupNames[key] ?? key;
}

function operationsOf(doc: Json): Operation[] {
	const operations: Operation[] = [];
	const used = new Set<string>();
	for (const [path, item] of Object.entries(record(doc.paths))) {
		const shared = list(record(item).parameters).filter(isRecord);
		for (const method of methods) {
			const op = record(item)[method];
			if (!isRecord(op)) continue;
			let anchor = `op-${method}-${slug(path)}`;
			while (used.has(anchor)) anchor += "-2";
			used.add(anchor);
			operations.push({
				anchor,
				method,
				path,
				group: groupOf(path, op),
				op,
				parameters: [...shared, ...list(op.parameters).filter(isRecord)],
			});
		}
	}
	return operations;
}

/** A path that may wrap after each slash rather than mid-word. */
const pathHtml = (path: string) => escapeHtml(path).replaceAll("/", "/<wbr>");

function refName(schema: Json): string | undefined {
	return text(schema.$ref)?.split("/").pop();
}

/** A one-line, linked description of a schema's type. */
function typeLabel(schema: Json): string {
	const ref = refName(schema);
	if (ref !== undefined)
		return `<a href="#schema-${slug(ref)}">${escapeHtml(ref)}</a>`;
	if (schema.const !== undefined)
		return `<code>${escapeHtml(JSON.stringify(schema.const))}</code>`;
	const values = list(schema.enum);
	if (values.length > 0)
		return `one of ${values.map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(", ")}`;
	const choices = list(schema.anyOf ?? schema.oneOf).filter(isRecord);
	if (choices.length > 0) return choices.map(typeLabel).join(" or ");
	const types = (Array.isArray(schema.type) ? schema.type : [schema.type])
		.map(text)
		.filter((type) => type !== undefined);
	if (types.length === 0) return "any";
	return types
		.map((type) => {
			if (type === "array")
				return `array of ${typeLabel(record(schema.items))}`;
			if (type === "object" && isRecord(schema.additionalProperties))
				return `map of string to ${typeLabel(schema.additionalProperties)}`;
			const format = text(schema.format);
			return escapeHtml(format === undefined ? type : `${type} (${format})`);
		})
		.join(" or ");
}

const constraintNames: [string, string][] = [
	["minLength", "min length"],
	["maxLength", "max length"],
	["minimum", "min"],
	["maximum", "max"],
	["minItems", "min items"],
	["maxItems", "max items"],
	["pattern", "pattern"],
	["default", "default"],
	["example", "example"],
];

function constraints(schema: Json): string {
	const parts = constraintNames
		.filter(([key]) => schema[key] !== undefined)
		.map(
			([key, label]) =>
				`${label} <code>${escapeHtml(
					typeof schema[key] === "string"
						? schema[key]
						: JSON.stringify(schema[key]),
				)}</code>`,
		);
	return parts.length === 0
		? ""
		: ` <span class="constraints">(${parts.join("; ")})</span>`;
}

/** The object a schema describes inline (itself, or its array's items), for a property list. */
function inlineObject(schema: Json): Json | undefined {
	if (refName(schema) !== undefined) return undefined;
	if (isRecord(schema.properties)) return schema;
	const items = record(schema.items);
	return refName(items) === undefined && isRecord(items.properties)
		? items
		: undefined;
}

function propertyList(schema: Json, depth: number): string {
	const required = new Set(list(schema.required).map(text));
	const rows = Object.entries(record(schema.properties)).map(([name, raw]) => {
		const property = record(raw);
		const description = text(property.description);
		const nested = inlineObject(property);
		return `<li><code class="prop">${escapeHtml(name)}</code> <span class="type">${typeLabel(property)}</span>${
			required.has(name) ? ' <span class="req">required</span>' : ""
		}${constraints(property)}${description === undefined ? "" : ` — ${prose(description)}`}${
			nested !== undefined && depth < 6 ? propertyList(nested, depth + 1) : ""
		}</li>`;
	});
	return rows.length === 0 ? "" : `<ul class="props">${rows.join("")}</ul>`;
}

function schemaBlock(schema: Json): string {
	const object = inlineObject(schema);
	const description = text(schema.description);
	return `<p class="type-line">${typeLabel(schema)}${constraints(schema)}</p>${
		description === undefined ? "" : `<p>${prose(description)}</p>`
	}${object === undefined ? "" : propertyList(object, 0)}`;
}

function contentBlocks(content: unknown): string {
	return Object.entries(record(content))
		.map(
			([type, media]) =>
				`<p class="media">${escapeHtml(type)}</p>${schemaBlock(record(record(media).schema))}`,
		)
		.join("");
}

function security(op: Json): string {
	const requirements = list(op.security).filter(isRecord);
	if (requirements.length === 0) return "<p>None: anyone may call it.</p>";
	const options = requirements.map((requirement) => {
		const names = Object.keys(requirement);
		return names.length === 0
			? "no credentials, where the server's configuration allows it"
			: names
					.map(
						(name) =>
							`<a href="#auth-${slug(name)}"><code>${escapeHtml(name)}</code></a>`,
					)
					.join(" and ");
	});
	return options.length === 1
		? `<p>${options[0]}</p>`
		: `<p>Any one of:</p><ul>${options.map((o) => `<li>${o}</li>`).join("")}</ul>`;
}

function parametersTable(parameters: Json[]): string {
	if (parameters.length === 0) return "";
	const rows = parameters.map((parameter) => {
		const schema = record(parameter.schema);
		const description = text(parameter.description) ?? text(schema.description);
		return `<tr><th scope="row"><code>${escapeHtml(text(parameter.name) ?? "")}</code></th><td>${escapeHtml(
			text(parameter.in) ?? "",
		)}</td><td>${parameter.required === true ? "yes" : "no"}</td><td>${typeLabel(schema)}${constraints(
			schema,
		)}</td><td>${description === undefined ? "" : prose(description)}</td></tr>`;
	});
	return `<h4>Parameters</h4><div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Required</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead><tbody>${rows.join(
		"",
	)}</tbody></table></div>`;
}

/** Error codes a response stands for: those its description names, else its status's only one. */
function codesFor(status: string, description: string): string[] {
	const named = (
		description.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []
	).filter(isErrorCode);
	if (named.length > 0) return [];
	const byStatus = Object.entries(errorCodes)
		.filter(([, code]) => String(code) === status)
		.map(([name]) => name);
	return byStatus.length === 1 ? byStatus : [];
}

function responsesBlock(op: Json): string {
	const rows = Object.entries(record(op.responses)).map(([status, raw]) => {
		const response = record(raw);
		const description = text(response.description) ?? "";
		const error = Number(status) >= 400;
		const codes = error ? codesFor(status, description) : [];
		return `<tr${error ? ' class="error"' : ""}><th scope="row">${escapeHtml(status)}</th><td>${
			codes.length === 0
				? ""
				: `${codes.map((code) => `<a href="#error-${slug(code)}">${code}</a>`).join(", ")}: `
		}${prose(description)}</td><td>${contentBlocks(response.content)}</td></tr>`;
	});
	return `<h4>Responses</h4><div class="scroll"><table><thead><tr><th scope="col">Status</th><th scope="col">Meaning</th><th scope="col">Body</th></tr></thead><tbody>${rows.join(
		"",
	)}</tbody></table></div>`;
}

function operationArticle(operation: Operation): string {
	const { op } = operation;
	const summary = text(op.summary);
	const description = text(op.description);
	const body = record(op.requestBody);
	const headingId = `${operation.anchor}-title`;
	return `<article id="${operation.anchor}" class="operation" aria-labelledby="${headingId}">
<h3 id="${headingId}"><span class="method m-${operation.method}">${operation.method.toUpperCase()}</span> <code class="path">${pathHtml(operation.path)}</code></h3>
${summary === undefined ? "" : `<p class="summary">${prose(summary)}</p>`}
${description === undefined ? "" : `<p>${prose(description)}</p>`}
<h4>Authentication</h4>${security(op)}
${parametersTable(operation.parameters)}
${
	body.content === undefined
		? ""
		: `<h4>Request body${body.required === true ? "" : " (optional)"}</h4>${contentBlocks(body.content)}`
}
${responsesBlock(op)}
<p class="top"><a href="#top">Back to top</a></p>
</article>`;
}

function authSection(doc: Json): string {
	const schemes = Object.entries(
		record(record(doc.components).securitySchemes),
	);
	const items = schemes.map(([name, raw]) => {
		const scheme = record(raw);
		const how = [
			text(scheme.type),
			text(scheme.scheme),
			text(scheme.bearerFormat),
		]
			.filter((part) => part !== undefined)
			.join(", ");
		const description = text(scheme.description);
		return `<dt id="auth-${slug(name)}"><code>${escapeHtml(name)}</code></dt><dd>${escapeHtml(how)}${
			description === undefined ? "" : ` — ${prose(description)}`
		}</dd>`;
	});
	return `<section id="authentication" aria-labelledby="authentication-title"><h2 id="authentication-title">Authentication</h2>
<p>Credentials travel as <code>Authorization: Bearer …</code>. Each operation names the schemes it accepts.</p>
<dl>${items.join("")}</dl></section>`;
}

function errorsSection(): string {
	const rows = Object.entries(errorCodes).map(
		([code, status]) =>
			`<tr id="error-${slug(code)}"><th scope="row"><code>${code}</code></th><td>${status}</td></tr>`,
	);
	return `<section id="errors" aria-labelledby="errors-title"><h2 id="errors-title">Errors</h2>
<p>Every failure answers with a JSON <a href="#schema-error">Error</a> body, <code>{ "code", "message", "details"? }</code>. The code fixes the status, so clients branch on <code>code</code>. Besides the responses each operation lists, any operation may answer <a href="#error-invalid-request">INVALID_REQUEST</a> for a malformed request, <a href="#error-payload-too-large">PAYLOAD_TOO_LARGE</a>, <a href="#error-rate-limited">RATE_LIMITED</a> (with <code>Retry-After</code>) or <a href="#error-internal-error">INTERNAL_ERROR</a>.</p>
<div class="scroll"><table><thead><tr><th scope="col">Code</th><th scope="col">HTTP status</th></tr></thead><tbody>${rows.join(
		"",
	)}</tbody></table></div></section>`;
}

function schemasSection(doc: Json): string {
	const schemas = Object.entries(record(record(doc.components).schemas));
	const articles = schemas.map(
		([name, raw]) =>
			`<article id="schema-${slug(name)}" class="schema" aria-labelledby="schema-${slug(name)}-title"><h3 id="schema-${slug(
				name,
			)}-title">${escapeHtml(name)}</h3>${schemaBlock(record(raw))}</article>`,
	);
	return `<section id="schemas" aria-labelledby="schemas-title"><h2 id="schemas-title">Schemas</h2>${articles.join(
		"",
	)}</section>`;
}

function groupsOf(operations: Operation[]): [string, Operation[]][] {
	const groups = new Map<string, Operation[]>();
	for (const operation of operations) {
		const members = groups.get(operation.group) ?? [];
		members.push(operation);
		groups.set(operation.group, members);
	}
	const rank = (name: string) => {
		const index = groupOrder.indexOf(name);
		return index === -1 ? groupOrder.length : index;
	};
	return [...groups].sort(([a], [b]) => rank(a) - rank(b));
}

function sidebar(groups: [string, Operation[]][], doc: Json): string {
	const schemaLinks = Object.keys(record(record(doc.components).schemas))
		.map(
			(name) =>
				`<li><a href="#schema-${slug(name)}">${escapeHtml(name)}</a></li>`,
		)
		.join("");
	const groupLinks = groups
		.map(
			([name, members]) =>
				`<li><a class="group" href="#group-${slug(name)}">${escapeHtml(name)}</a><ul>${members
					.map(
						(operation) =>
							`<li><a href="#${operation.anchor}"><span class="method m-${operation.method}">${operation.method.toUpperCase()}</span> <span class="path">${pathHtml(operation.path)}</span></a></li>`,
					)
					.join("")}</ul></li>`,
		)
		.join("");
	return `<nav class="sidebar" aria-label="API reference contents"><ul>
<li><a class="group" href="#authentication">Authentication</a></li>
<li><a class="group" href="#errors">Errors</a></li>
${groupLinks}
<li><a class="group" href="#schemas">Schemas</a><ul>${schemaLinks}</ul></li>
</ul></nav>`;
}

const styles = `
:root{color-scheme:light;--ink:#111827;--muted:#374151;--line:#d1d5db;--soft:#f3f4f6;--link:#1d4ed8;--focus:#b45309}
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:#fff}
a{color:var(--link)}
a:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:2px}
code{font:0.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:0 .2em;border-radius:3px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:1rem;top:1rem}
header.banner{background:#111827;color:#fff;padding:1rem 1.5rem}
header.banner h1{margin:0;font-size:1.4rem}
header.banner p{margin:.25rem 0 0;color:#e5e7eb}
header.banner a{color:#bfdbfe}
.layout{display:grid;grid-template-columns:20rem minmax(0,1fr)}
.sidebar{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;border-right:1px solid var(--line);padding:1rem;background:#f9fafb;font-size:.9rem}
.sidebar ul{list-style:none;margin:0;padding:0}
.sidebar ul ul{margin:.25rem 0 .75rem}
.sidebar li a{display:block;padding:.15rem .25rem;text-decoration:none;overflow-wrap:anywhere}
.sidebar li a:hover{text-decoration:underline}
.sidebar a.group{font-weight:700;color:var(--ink)}
main{padding:1.5rem 2rem 4rem;max-width:64rem}
h2{border-bottom:2px solid var(--line);padding-bottom:.25rem;margin-top:2.5rem}
h3{margin:0 0 .5rem;font-size:1.15rem;overflow-wrap:anywhere}
h4{margin:1rem 0 .35rem;font-size:1rem;color:var(--muted)}
.operation,.schema{border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
.method{display:inline-block;min-width:4.2rem;text-align:center;font:700 .8rem/1.6 ui-monospace,Menlo,monospace;color:#fff;border-radius:4px;padding:0 .35rem}
.m-get{background:#1d4ed8}.m-post{background:#047857}.m-delete{background:#b91c1c}.m-put,.m-patch{background:#92400e}.m-head,.m-options{background:#4b5563}
.summary{font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--soft)}
tr.error th{color:#991b1b}
.scroll{overflow-x:auto}
.props{margin:.25rem 0 .25rem 0;padding-left:1.25rem}
.props li{margin:.15rem 0}
.type{color:var(--muted)}
.req{font-size:.8rem;font-weight:700;color:#991b1b}
.constraints{color:var(--muted);font-size:.88rem}
.media{margin:.25rem 0 0;font-size:.85rem;color:var(--muted)}
.type-line{margin:.25rem 0}
.top{margin:.75rem 0 0;font-size:.85rem}
dt{margin-top:.5rem;font-weight:700}
dd{margin-left:1.25rem}
@media (max-width:52rem){.layout{display:block}.sidebar{position:static;max-height:none;border-right:0;border-bottom:1px solid var(--line)}main{padding:1rem}}
`;

/** The page's Content-Security-Policy: nothing runs, and only the one stylesheet above applies. */
export const docsContentSecurityPolicy = [
	"default-src 'none'",
	`style-src 'sha256-${createHash("sha256").update(styles).digest("base64")}'`,
	"img-src data:",
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
].join("; ");

/** The whole HTML page for an OpenAPI 3.1 document. */
export function renderApiReference(doc: unknown): string {
	const document = record(doc);
	const info = record(document.info);
	const title = `${text(info.title) ?? "API"} API reference`;
	const version = text(info.version);
	const description = text(info.description);
	const groups = groupsOf(operationsOf(document));
	const sections = groups
		.map(
			([name, members]) =>
				`<section id="group-${slug(name)}" aria-labelledby="group-${slug(name)}-title"><h2 id="group-${slug(
					name,
				)}-title">${escapeHtml(name)}</h2>${members.map(operationArticle).join("\n")}</section>`,
		)
		.join("\n");
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${styles}</style>
</head>
<body id="top">
<a class="skip" href="#main">Skip to the reference</a>
<header class="banner">
<h1>${escapeHtml(title)}</h1>
<p>${version === undefined ? "" : `Version ${escapeHtml(version)}. `}${
		description === undefined ? "" : prose(description)
	} Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeHtml(
		text(document.openapi) ?? "",
	)}).</p>
</header>
<div class="layout">
${sidebar(groups, document)}
<main id="main" tabindex="-1">
${authSection(document)}
${errorsSection()}
${sections}
${schemasSection(document)}
</main>
</div>
</body>
</html>
`;
}

/** `GET /docs`: rendered on first request from the app's own `/openapi.json`, then kept. */
export function docsRoutes(source: OpenApiSource) {
	const router = createRouter();
	let page: Promise<string> | undefined;
	const load = async () => {
		const response = await source.request("/openapi.json");
		if (!response.ok)
			throw new Error(`/openapi.json answered ${response.status}`);
		return renderApiReference(await response.json());
	};
	for (const path of ["/docs", "/docs/"]) {
		router.get(path, async (c) => {
			page ??= load();
			const html = await page.catch((error: unknown) => {
				page = undefined;
				throw error;
			});
			c.header("Content-Security-Policy", docsContentSecurityPolicy);
			c.header("Referrer-Policy", "no-referrer");
			c.header("Cache-Control", "no-cache");
			return c.html(html, 200);
		});
	}
	return router;
}
