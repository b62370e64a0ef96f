import { createHmac } from "node:crypto";
import { gzipSync } from "node:zlib";
import { isErrorCode, statusOf } from "@tether/api";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	appUrl,
	createBrowser,
	type SessionBody,
	secretKey,
	startTestTether,
	type TestTether,
} from "../packages/server/test/harness.ts";
import {
	type RawRequest,
	type RawResponse,
	rawRequest,
} from "../packages/server/test/raw-http.ts";

/**
 * SPEC.md, "Quality bars": no 5xx and no crash under malformed input. A real Tether, and every
 * operation its OpenAPI document lists (so a new route is fuzzed without touching this file), hit
 * with malformed JSON, wrong types for every field, huge and compressed bodies, odd encodings,
 * absurd path parameters, wrong methods and content types, huge headers and forged credentials.
 *
 * Every answer must come from Tether (Node's own parser may refuse what is not HTTP), be below 500
 * (a 503 PROVIDER_UNAVAILABLE aside), and, when an error, be `{ code, message, details? }` with a
 * code from the shared table and the status that code fixes. Health is checked after every batch.
 *
 * Random cases come from a fixed seed (FUZZ_SEED overrides it), derived per operation, so a failure
 * reproduces and a new route does not reshuffle the others' cases.
 */

const seed = Number.parseInt(process.env.FUZZ_SEED ?? "20250101", 10);
const adminSecret = `adm_${"f".repeat(40)}`;
/** Who a request is sent as. */
type As = "session" | "secret" | "admin" | "none";
const maxBodyBytes = 64 * 1024;

/** mulberry32: small, fast and good enough to pick fuzz cases. */
function random(seedValue: number) {
	let state = seedValue >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (n: number) => Math.floor(next() * n);
	return {
		int,
		pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
		bytes(n: number): Buffer {
			const out = Buffer.alloc(n);
			for (let i = 0; i < n; i++) out[i] = int(256);
			return out;
		},
	};
}
type Random = ReturnType<typeof random>;

function hash(text: string): number {
	let h = 2166136261;
	for (let i = 0; i < text.length; i++)
		h = Math.imul(h ^ text.charCodeAt(i), 16777619);
	return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// The operations, from the OpenAPI document.

interface JsonSchema {
	type?: string | string[];
	properties?: Record<string, JsonSchema>;
	required?: string[];
	items?: JsonSchema;
	pattern?: string;
	minLength?: number;
	$ref?: string;
	anyOf?: JsonSchema[];
}

interface Operation {
	method: string;
	template: string;
	pathParams: string[];
	queryParams: { name: string; required: boolean }[];
	body: JsonSchema | null;
	/** The security schemes it accepts (`session`, `secretKey`, `adminSecret`, …); empty: public. */
	schemes: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked as plain JSON
function operationsOf(doc: any): Operation[] {
	const resolve = (schema: JsonSchema | undefined): JsonSchema | null => {
		if (schema === undefined) return null;
		if (schema.$ref === undefined) return schema;
		const name = schema.$ref.split("/").at(-1) ?? "";
		return resolve(doc.components?.schemas?.[name]);
	};
	const operations: Operation[] = [];
	for (const [template, item] of Object.entries<Record<string, unknown>>(
		doc.paths,
	)) {
		for (const method of ["get", "post", "put", "patch", "delete"]) {
			// biome-ignore lint/suspicious/noExplicitAny: as above
			const op = item[method] as any;
			if (op === undefined) continue;
			const parameters: { name: string; in: string; required?: boolean }[] =
				op.parameters ?? [];
			operations.push({
				method: method.toUpperCase(),
				template,
				pathParams: [...template.matchAll(/\{([^}]+)\}/g)].map(
					(m) => m[1] as string,
				),
				queryParams: parameters
					.filter((p) => p.in === "query")
					.map((p) => ({ name: p.name, required: p.required === true })),
				body: resolve(op.requestBody?.content?.["application/json"]?.schema),
				schemes: (
					(op.security ?? doc.security ?? []) as Record<string, unknown>[]
				).flatMap((requirement) => Object.keys(requirement)),
			});
		}
	}
	return operations;
}

/** A structurally valid value for a schema: the base each single-field mutation starts from. */
function exampleOf(schema: JsonSchema | null | undefined): unknown {
	if (schema === null || schema === undefined) return {};
	const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
	if (schema.anyOf?.[0] !== undefined) return exampleOf(schema.anyOf[0]);
	switch (type) {
		case "object": {
			const out: Record<string, unknown> = {};
			for (const [name, property] of Object.entries(schema.properties ?? {}))
				out[name] = exampleOf(property);
			return out;
		}
		case "array":
			return [exampleOf(schema.items)];
		case "integer":
		case "number":
			return 1;
		case "boolean":
			return true;
		default:
			return schema.pattern === undefined
				? "fuzz"
				: "A".repeat(Math.max(43, schema.minLength ?? 1));
	}
}

// ---------------------------------------------------------------------------------------------
// Inputs.

const wrongValues: [string, unknown][] = [
	["number", 123],
	["negative", -1],
	["float", 1.5e308],
	["boolean", true],
	["null", null],
	["empty array", []],
	["object", { $gt: "" }],
	["empty string", ""],
	["long string", "x".repeat(60_000)],
	["array of mixed", ["a", 1, null, {}]],
	["array of 10k", Array.from({ length: 10_000 }, () => "s")],
	["NUL", "\u0000"],
	["lone surrogate", "\ud800"],
	["emoji", "😀".repeat(300)],
	["proto", JSON.parse('{"__proto__": {"polluted": true}}')],
	["nested", JSON.parse(`${"[".repeat(500)}${"]".repeat(500)}`)],
];

const malformedJson: [string, string | Buffer][] = [
	["empty", ""],
	["open brace", "{"],
	["unterminated string", '{"code": "ab'],
	["trailing comma", '{"code": "x",}'],
	["single quotes", "{'code': 'x'}"],
	["bare word", "undefined"],
	["null", "null"],
	["string", '"code"'],
	["number", "1e999"],
	["array", "[]"],
	["two documents", '{"code":"x"}{"code":"y"}'],
	["BOM", "\ufeff{}"],
	["NUL bytes", Buffer.from([0x7b, 0x00, 0x00, 0x7d])],
	[
		"invalid UTF-8",
		Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
	],
	[
		"overlong UTF-8",
		Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]),
	],
	["escaped lone surrogate key", '{"\\ud800": 1}'],
	["deep nesting", `${"[".repeat(30_000)}${"]".repeat(30_000)}`],
	["deep objects", `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`],
	[
		"__proto__",
		'{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {}}}',
	],
	["duplicate keys", '{"code": 1, "code": "x", "scopes": "a", "scopes": []}'],
];

const contentTypes: [string, string | undefined][] = [
	["missing", undefined],
	["text/plain", "text/plain"],
	["form", "application/x-www-form-urlencoded"],
	["multipart", "multipart/form-data; boundary=fuzz"],
	["utf-16 charset", "application/json; charset=utf-16le"],
	["upper case", "APPLICATION/JSON"],
	["semicolons", "application/json;;;;"],
	["problem+json", "application/problem+json"],
	["long", `application/json; x=${"a".repeat(5000)}`],
	["latin1 garbage", "\u00ff\u00fe/\u00e9"],
];

/** Absurd values for one path parameter, as raw (already encoded) path segments. */
function absurdSegments(rng: Random): [string, string][] {
	const randomSegment = () => {
		const alphabet = [
			"a",
			"Z",
			"0",
			"%",
			"%2F",
			"%00",
			".",
			"..",
			"%C0%AE",
			"é",
			"😀",
			"~",
			"'",
			'"',
			"<",
			"%ZZ",
			";",
			"\\",
			"%25",
		];
		let out = "";
		const n = 1 + rng.int(40);
		for (let i = 0; i < n; i++) out += rng.pick(alphabet);
		return encodeURI(out).replace(/%25/g, "%");
	};
	return [
		["10 KB", "a".repeat(10 * 1024)],
		["just over the limit", "b".repeat(257)],
		["unicode", encodeURIComponent("ユーザー😀\u202e\u0301")],
		["dot-dot encoded slash", "..%2F..%2F..%2Fv1%2Fuser"],
		["dot-dot", "%2e%2e"],
		["NUL", "x%00y"],
		["overlong slash", "%C0%AF%E0%80%AF"],
		["invalid UTF-8", "%FF%FE%FD"],
		["lone percent", "%"],
		["bad escape", "%zz%4"],
		["encoded space", "%20"],
		["SQL", encodeURIComponent("' OR 1=1 --")],
		["proto", "__proto__"],
		["constructor", "constructor"],
		["me with slash", "me%2F.."],
		["template", "%7Buser%7D"],
		["random 1", randomSegment()],
		["random 2", randomSegment()],
		["random 3", randomSegment()],
	];
}

function base64url(value: unknown): string {
	return Buffer.from(JSON.stringify(value)).toString("base64url");
}

// ---------------------------------------------------------------------------------------------
// Judging an answer.

interface Case extends RawRequest {
	label: string;
	/** Node's HTTP parser may refuse this before Tether sees it (a bare 4xx, no JSON). */
	parserMayRefuse?: boolean;
	/** A client that hangs up mid-request: no answer is fine, a crash is not. */
	answerOptional?: boolean;
	expectStatus?: number;
	expectCode?: string;
}

function describeCase(c: Case): string {
	const target =
		typeof c.target === "string" ? c.target : c.target.toString("latin1");
	return `${c.label}: ${c.method} ${target.length > 120 ? `${target.slice(0, 120)}…(${target.length})` : target}`;
}

function judge(c: Case, response: RawResponse): string | null {
	const what = () =>
		`${describeCase(c)} → ${response.status} ${response.text().slice(0, 300)}`;
	if (response.status === 0)
		return c.answerOptional ? null : `no answer: ${what()}`;
	const fromTether = response.headers["x-request-id"] !== undefined;
	// Even what Node's parser refuses gets Tether's JSON answer (listen.ts, clientError).
	if (!fromTether) return `not answered by Tether: ${what()}`;
	let body: unknown;
	if (response.status >= 400 && c.method !== "HEAD") {
		if (!(response.headers["content-type"] ?? "").includes("application/json"))
			return `error without a JSON body: ${what()}`;
		try {
			body = JSON.parse(response.text());
		} catch {
			return `error body is not JSON: ${what()}`;
		}
		if (typeof body !== "object" || body === null || Array.isArray(body))
			return `error body is not an object: ${what()}`;
		const { code, message, details, ...rest } = body as Record<string, unknown>;
		if (!isErrorCode(code)) return `unknown error code: ${what()}`;
		if (typeof message !== "string" || message.length === 0)
			return `error without a message: ${what()}`;
		if (
			details !== undefined &&
			(typeof details !== "object" || details === null)
		)
			return `details is not an object: ${what()}`;
		if (Object.keys(rest).length > 0) return `extra error fields: ${what()}`;
		if (statusOf(code) !== response.status)
			return `status ${response.status} does not match ${code}: ${what()}`;
		if (response.status >= 500 && code !== "PROVIDER_UNAVAILABLE")
			return `5xx: ${what()}`;
		if (
			code === "PROVIDER_UNAVAILABLE" &&
			response.headers["retry-after"] === undefined
		)
			return `503 without Retry-After: ${what()}`;
	} else if (response.status >= 500) {
		return `5xx: ${what()}`;
	}
	if (c.expectStatus !== undefined && response.status !== c.expectStatus)
		return `expected ${c.expectStatus}: ${what()}`;
	if (
		c.expectCode !== undefined &&
		(body as { code?: string })?.code !== c.expectCode
	)
		return `expected ${c.expectCode}: ${what()}`;
	return null;
}

// ---------------------------------------------------------------------------------------------

describe(`fuzzing every route in the OpenAPI document (seed ${seed})`, () => {
	let tether: TestTether;
	let port: number;
	let operations: Operation[];
	let session: SessionBody;
	let signIns = 0;
	/** Status and code counts, for the summary printed at the end. */
	const seen = new Map<string, number>();
	let sent = 0;

	beforeAll(async () => {
		// Limits so high they never answer 429, but the limiter still sees every odd path and header.
		const high = { requests: 1_000_000_000, perSeconds: 1 };
		tether = await startTestTether({
			// The operator's routes are fuzzed with their credential too, so their handlers run.
			config: { adminSecret },
			rateLimits: {
				signin: high,
				callback: high,
				token: high,
				api: high,
				secretKey: high,
			},
		});
		port = Number(new URL(tether.baseUrl).port);
		const doc = await (await fetch(`${tether.baseUrl}/openapi.json`)).json();
		operations = operationsOf(doc);
		await ensureSession();
	});

	afterAll(async () => {
		const summary = [...seen.entries()]
			.sort((a, b) => b[1] - a[1])
			.map(([key, n]) => `${key}: ${n}`)
			.join(", ");
		console.log(
			`fuzz: ${sent} requests over ${operations?.length ?? 0} operations, ${signIns} sign-ins; ${summary}`,
		);
		await tether?.close();
	});

	/** Fuzz cases may sign the session out or unlink its account: sign in again when they did. */
	async function ensureSession(): Promise<void> {
		if (session !== undefined) {
			const check = await fetch(`${tether.baseUrl}/v1/user`, {
				headers: { authorization: `Bearer ${session.accessToken}` },
			});
			const user = check.status === 200 ? await check.json() : null;
			if (user?.connectedAccounts?.length > 0) return;
		}
		signIns++;
		session = await createBrowser(tether).signIn(`fuzzer${signIns}`);
	}

	const accountId = () =>
		session.user.connectedAccounts[0]?.providerAccountId ?? "missing";

	/** The operation's path with plausible parameters (`me` with a session, the user id with the key). */
	function pathOf(
		op: Operation,
		as: As,
		override: Record<string, string> = {},
	): string {
		const values: Record<string, string> = {
			user: as === "secret" ? session.user.id : "me",
			provider: tether.provider,
			providerAccountId: encodeURIComponent(accountId()),
			...override,
		};
		let path = op.template.replace(
			/\{([^}]+)\}/g,
			(_, name: string) => values[name] ?? "fuzz",
		);
		const required = op.queryParams.filter((q) => q.required);
		if (required.length > 0)
			path += `?${required.map((q) => `${q.name}=fuzz`).join("&")}`;
		return path;
	}

	function authHeader(as: As): [string, string][] {
		if (as === "session")
			return [["Authorization", `Bearer ${session.accessToken}`]];
		if (as === "secret") return [["Authorization", `Bearer ${secretKey}`]];
		if (as === "admin") return [["Authorization", `Bearer ${adminSecret}`]];
		return [];
	}

	/** The credentials an operation takes, alternating where it takes several, so handlers run. */
	function principalFor(op: Operation, index: number): As {
		const takes: As[] = [];
		if (op.schemes.includes("session")) takes.push("session");
		if (op.schemes.includes("secretKey")) takes.push("secret");
		if (op.schemes.includes("adminSecret")) takes.push("admin");
		if (takes.length === 0)
			return op.schemes.length === 0 && index % 5 === 0 ? "session" : "none";
		return takes[index % takes.length] as As;
	}

	async function runBatch(name: string, cases: Case[]): Promise<string[]> {
		const failures: string[] = [];
		let next = 0;
		const worker = async () => {
			while (next < cases.length) {
				const c = cases[next++] as Case;
				sent++;
				let response: RawResponse;
				try {
					response = await rawRequest(port, c);
				} catch (error) {
					failures.push(`${describeCase(c)}: ${(error as Error).message}`);
					continue;
				}
				const key = `${response.status}${response.headers["x-request-id"] === undefined ? " (node)" : ""}`;
				seen.set(key, (seen.get(key) ?? 0) + 1);
				const failure = judge(c, response);
				if (process.env.FUZZ_VERBOSE)
					console.log(
						`${describeCase(c)} → ${response.status} ${response.text().slice(0, 160)}`,
					);
				if (failure !== null) failures.push(failure);
			}
		};
		await Promise.all(Array.from({ length: 8 }, worker));
		const health = await rawRequest(port, {
			method: "GET",
			target: "/v1/healthz",
		});
		if (health.status !== 200)
			failures.push(`health after ${name}: ${health.status} ${health.text()}`);
		await ensureSession();
		return failures;
	}

	/** Runs `build` for every operation, one batch each, and fails with every finding at once. */
	async function fuzzEach(
		category: string,
		build: (op: Operation, rng: Random) => Case[],
	): Promise<void> {
		expect(operations.length).toBeGreaterThanOrEqual(15);
		const failures: string[] = [];
		const logsBefore = tether.logs.length;
		for (const op of operations) {
			const rng = random(
				seed ^ hash(`${category} ${op.method} ${op.template}`),
			);
			failures.push(
				...(await runBatch(
					`${category} ${op.method} ${op.template}`,
					build(op, rng),
				)),
			);
		}
		expect(failures, `seed ${seed}`).toEqual([]);
		expect(
			tether.logs
				.slice(logsBefore)
				.filter((line) => line.includes('"unhandled error"')),
			"unhandled errors logged (each one answered a 500, maybe to a client long gone)",
		).toEqual([]);
	}

	const hasBody = (op: Operation) =>
		op.method !== "GET" && op.method !== "HEAD";
	const json: [string, string] = ["Content-Type", "application/json"];

	it("lists the routes to fuzz in its OpenAPI document", () => {
		const listed = operations.map((op) => `${op.method} ${op.template}`);
		for (const route of [
			"POST /v1/token/exchange",
			"POST /v1/token",
			"GET /v1/signin/provider/{provider}",
			"POST /v1/connected-accounts/{user}/{provider}/{providerAccountId}/access-token",
			"GET /v1/link/{provider}/start",
			"POST /v1/link/complete",
		])
			expect(listed).toContain(route);
	});

	it("malformed JSON, wrong types for every field, random mutations", async () => {
		await fuzzEach("bodies", (op, rng) => {
			const cases: Case[] = [];
			let i = 0;
			const add = (label: string, body: string | Buffer) => {
				const as = principalFor(op, i++);
				cases.push({
					label,
					method: op.method,
					target: pathOf(op, as),
					headers: [...authHeader(as), json],
					body,
				});
			};
			for (const [label, body] of malformedJson)
				add(`malformed JSON (${label})`, body);
			const base = exampleOf(op.body) as Record<string, unknown>;
			const fields = Object.keys(op.body?.properties ?? {});
			for (const field of fields) {
				for (const [label, value] of wrongValues)
					add(
						`${field} as ${label}`,
						JSON.stringify({ ...base, [field]: value }),
					);
				const { [field]: _, ...without } = base;
				add(`${field} missing`, JSON.stringify(without));
			}
			for (const [label, value] of wrongValues)
				if (label !== "object")
					add(`whole body as ${label}`, JSON.stringify(value));
			add(
				"unknown fields",
				JSON.stringify({ ...base, admin: true, userId: "usr_x" }),
			);
			const valid = Buffer.from(JSON.stringify(base));
			for (let n = 0; n < 12; n++) {
				let mutated = Buffer.from(valid);
				for (let edits = 1 + rng.int(4); edits > 0; edits--) {
					const at = rng.int(mutated.length + 1);
					const kind = rng.int(3);
					mutated =
						kind === 0
							? Buffer.concat([
									mutated.subarray(0, at),
									rng.bytes(1 + rng.int(4)),
									mutated.subarray(at),
								])
							: kind === 1
								? Buffer.concat([
										mutated.subarray(0, at),
										mutated.subarray(at + 1 + rng.int(4)),
									])
								: Buffer.concat([
										mutated.subarray(0, at),
										rng.bytes(1),
										mutated.subarray(at + 1),
									]);
				}
				add(`random mutation ${n}`, mutated);
			}
			return cases;
		});
	});

	it("huge bodies (1 MB, 10 MB, chunked) answer 413 PAYLOAD_TOO_LARGE; gzip bombs do no harm", async () => {
		const oneMb = Buffer.alloc(1024 * 1024, 0x20);
		const tenMb = Buffer.alloc(10 * 1024 * 1024, 0x20);
		const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
		const doubleBomb = gzipSync(bomb);
		await fuzzEach("huge bodies", (op) => {
			const as = principalFor(op, 0);
			const target = pathOf(op, as);
			const headers: [string, string][] = [...authHeader(as), json];
			const tooLarge = hasBody(op)
				? { expectStatus: 413, expectCode: "PAYLOAD_TOO_LARGE" }
				: {};
			return [
				{
					label: "1 MB",
					method: op.method,
					target,
					headers,
					body: oneMb,
					...tooLarge,
				},
				{
					label: "10 MB",
					method: op.method,
					target,
					headers,
					body: tenMb,
					...tooLarge,
				},
				{
					label: "1 MB chunked",
					method: op.method,
					target,
					headers,
					body: oneMb,
					chunked: true,
					...tooLarge,
				},
				{
					label: "just over the limit",
					method: op.method,
					target,
					headers,
					body: Buffer.alloc(maxBodyBytes + 1, 0x20),
					...tooLarge,
				},
				{
					label: "gzip bomb",
					method: op.method,
					target,
					headers: [...headers, ["Content-Encoding", "gzip"]],
					body: bomb,
				},
				{
					label: "double gzip bomb",
					method: op.method,
					target,
					headers: [...headers, ["Content-Encoding", "gzip, gzip"]],
					body: doubleBomb,
				},
				{
					label: "deflate garbage",
					method: op.method,
					target,
					headers: [...headers, ["Content-Encoding", "deflate"]],
					body: Buffer.from("not deflate at all"),
				},
				{
					label: "body cut short",
					parserMayRefuse: true,
					method: op.method,
					target,
					headers,
					body: Buffer.from('{"code":"abc","refreshToken":"abc"}'),
					truncateBodyAt: 5,
					answerOptional: true,
				},
				{
					label: "chunked body cut short",
					parserMayRefuse: true,
					method: op.method,
					target,
					headers,
					body: oneMb,
					chunked: true,
					truncateBodyAt: 10_000,
					answerOptional: true,
				},
			];
		});
	});

	it("odd encodings, absurd path parameters and query strings", async () => {
		await fuzzEach("encodings", (op, rng) => {
			const cases: Case[] = [];
			let i = 0;
			const add = (
				label: string,
				target: string | Buffer,
				extra: Partial<Case> = {},
			) => {
				const as = principalFor(op, i++);
				cases.push({
					label,
					method: op.method,
					target,
					headers: [...authHeader(as), json],
					...(hasBody(op) ? { body: JSON.stringify(exampleOf(op.body)) } : {}),
					...extra,
				});
			};
			for (const param of op.pathParams) {
				for (const [label, segment] of absurdSegments(rng))
					add(
						`${param} = ${label}`,
						pathOf(op, principalFor(op, i), { [param]: segment }),
					);
				add(
					`${param} = raw UTF-8`,
					pathOf(op, "session", { [param]: "ユーザー" }),
					{
						parserMayRefuse: true,
					},
				);
			}
			const path = pathOf(op, "session");
			const [pathOnly = path, query] = path.split("?");
			const withQuery = (extra: string) =>
				`${pathOnly}?${query === undefined ? "" : `${query}&`}${extra}`;
			add("NUL appended", `${pathOnly}%00`);
			add("dot-dot segments", `/v1/../v1/x/..${pathOnly.slice(3)}`);
			add("encoded dot-dot", `/v1/%2e%2e/v1${pathOnly.slice(3)}`);
			add("trailing dot-dot", `${pathOnly}/..`);
			add("double slashes", pathOnly.replaceAll("/", "//"));
			add("backslashes", pathOnly.replaceAll("/", "\\"), {
				parserMayRefuse: true,
			});
			add("upper case", pathOnly.toUpperCase());
			add("encoded slashes", `/${pathOnly.slice(1).replaceAll("/", "%2F")}`);
			add("overlong dot", `${pathOnly}/%C0%AE%C0%AE/`);
			add("invalid UTF-8 escape", `${pathOnly}%FF%FE`);
			add(
				"invalid UTF-8 bytes",
				Buffer.concat([Buffer.from(pathOnly), Buffer.from([0xff, 0xfe])]),
				{
					parserMayRefuse: true,
				},
			);
			add(
				"control byte",
				Buffer.concat([Buffer.from(pathOnly), Buffer.from([0x01])]),
				{
					parserMayRefuse: true,
				},
			);
			add("absolute-form target", `http://evil.test${pathOnly}`);
			add("10 KB path", `${pathOnly}/${"p".repeat(10 * 1024)}`);
			add("30 KB path", `${pathOnly}/${"p".repeat(30 * 1024)}`, {
				parserMayRefuse: true,
			});
			add(
				"query: bad escapes",
				withQuery("redirectTo=%E0%A4%A&scopes=%&loginHint=%zz"),
			);
			add(
				"query: NUL",
				withQuery("redirectTo=%00&intent=%00&codeChallenge=%00"),
			);
			add(
				"query: repeated",
				withQuery("redirectTo=a&redirectTo=b&intent=a&intent=b"),
			);
			add(
				"query: brackets",
				withQuery("intent[]=a&redirectTo[x]=b&__proto__[a]=1"),
			);
			add(
				// Long, but within Node's 16 KB header limit, so Tether must answer it.
				"query: long",
				withQuery(
					`scopes=${"s%20".repeat(1500)}&loginHint=${"h".repeat(5000)}`,
				),
			);
			add(
				"query: javascript redirect",
				withQuery(`redirectTo=${encodeURIComponent("javascript:alert(1)")}`),
			);
			add("query: secret key in URL", withQuery(`key=${secretKey}`));
			// Each documented query parameter, and the OAuth callback's, with absurd values.
			const queryNames = [
				...op.queryParams.map((q) => q.name),
				"state",
				"code",
				"error",
				"iss",
			];
			for (const name of queryNames) {
				for (const [label, value] of absurdSegments(rng).filter(
					(_, n) => n % 3 === i % 3,
				))
					add(`query ${name} = ${label}`, withQuery(`${name}=${value}`));
			}
			add(
				"query: unicode",
				withQuery(
					`loginHint=${encodeURIComponent("😀\u202e")}&codeChallenge=${"é".repeat(50)}`,
				),
				{
					parserMayRefuse: true,
				},
			);
			return cases;
		});
	});

	it("wrong methods and wrong or missing content types", async () => {
		const methods = [
			"GET",
			"HEAD",
			"POST",
			"PUT",
			"DELETE",
			"PATCH",
			"OPTIONS",
			"TRACE",
		];
		const byPath = new Map<string, Set<string>>();
		for (const op of operations)
			byPath.set(
				op.template,
				(byPath.get(op.template) ?? new Set()).add(op.method),
			);
		await fuzzEach("methods", (op) => {
			const cases: Case[] = [];
			const as = principalFor(op, 0);
			const target = pathOf(op, as);
			const allowed = byPath.get(op.template) ?? new Set();
			// Each path's wrong methods once (on its first operation).
			if ([...allowed][0] === op.method) {
				for (const method of methods) {
					if (allowed.has(method) || (method === "HEAD" && allowed.has("GET")))
						continue;
					cases.push({
						label: `wrong method ${method}`,
						method,
						target,
						headers: [...authHeader(as), json],
						...(method === "GET" || method === "HEAD" ? {} : { body: "{}" }),
					});
				}
				cases.push({
					label: "unknown method",
					method: "FUZZ",
					target,
					headers: authHeader(as),
					parserMayRefuse: true,
				});
				cases.push({
					label: "OPTIONS *",
					method: "OPTIONS",
					target: "*",
					headers: [],
					parserMayRefuse: true,
				});
			}
			const body = JSON.stringify(exampleOf(op.body));
			for (const [label, type] of contentTypes) {
				cases.push({
					label: `content type ${label}`,
					method: op.method,
					target,
					headers: [
						...authHeader(as),
						...(type === undefined
							? []
							: [["Content-Type", type] as [string, string]]),
					],
					body:
						label === "utf-16 charset"
							? Buffer.from(body, "utf16le")
							: label === "form"
								? "code=x&refreshToken=y&scopes=a"
								: label === "multipart"
									? '--fuzz\r\nContent-Disposition: form-data; name="code"\r\n\r\nx\r\n--fuzz--\r\n'
									: body,
				});
			}
			cases.push({
				label: "JSON body with no Content-Type and no Content-Length",
				method: op.method,
				target,
				headers: authHeader(as),
				body,
				chunked: true,
			});
			return cases;
		});
	});

	it("bogus credentials and huge headers: 401 for every forgery, never a 5xx", async () => {
		const other = await generateKeyPair("ES256");
		const jwks = await (
			await fetch(`${tether.baseUrl}/.well-known/jwks.json`)
		).json();
		const realKey = jwks.keys[0] as Record<string, string>;
		const kid = realKey.kid ?? "";
		const claims = {
			sub: session.user.id,
			sid: "ses_fuzz",
			fam: "fam_fuzz",
			iss: tether.baseUrl,
			aud: "tether",
			iat: Math.floor(Date.now() / 1000),
			exp: Math.floor(Date.now() / 1000) + 600,
		};
		const foreign = await new SignJWT(claims)
			.setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
			.sign(other.privateKey);
		const none = `${base64url({ alg: "none", kid, typ: "JWT" })}.${base64url(claims)}.`;
		const hsInput = `${base64url({ alg: "HS256", kid, typ: "JWT" })}.${base64url(claims)}`;
		const hsConfused = `${hsInput}.${createHmac("sha256", JSON.stringify(realKey)).update(hsInput).digest("base64url")}`;
		const [h, p, s] = session.accessToken.split(".") as [
			string,
			string,
			string,
		];
		const tamperedClaims = `${h}.${base64url({ ...claims, sub: "usr_someone_else" })}.${s}`;
		const forgeries: [string, string | Buffer][] = [
			["foreign key, real kid", `Bearer ${foreign}`],
			["alg none", `Bearer ${none}`],
			["alg none without dot", `Bearer ${none.slice(0, -1)}`],
			["HS256 with the public key", `Bearer ${hsConfused}`],
			["claims swapped", `Bearer ${tamperedClaims}`],
			["signature stripped", `Bearer ${h}.${p}.`],
			[
				"kid path",
				`Bearer ${base64url({ alg: "ES256", kid: "../../../etc/passwd" })}.${p}.${s}`,
			],
			[
				"kid huge",
				`Bearer ${base64url({ alg: "ES256", kid: "k".repeat(2000) })}.${p}.${s}`,
			],
			["kid number", `Bearer ${base64url({ alg: "ES256", kid: 7 })}.${p}.${s}`],
			[
				"jku",
				`Bearer ${base64url({ alg: "ES256", kid: "x", jku: "http://127.0.0.1:1/jwks" })}.${p}.${s}`,
			],
			[
				"header not JSON",
				`Bearer ${Buffer.from("{nope").toString("base64url")}.${p}.${s}`,
			],
			["header an array", `Bearer ${base64url([1, 2])}.${p}.${s}`],
			["a.b.c", "Bearer a.b.c"],
			["Bearer only", "Bearer"],
			["Bearer and a space", "Bearer "],
			["two spaces", `Bearer  ${session.accessToken}`],
			["trailing space token", `Bearer ${session.accessToken} x`],
			["spaces inside", "Bearer abc def ghi"],
			["tab", `Bearer\t${session.accessToken}`],
			["Basic", "Basic dXNlcjpwYXNz"],
			["empty", ""],
			["8 KB", `Bearer ${"A".repeat(8 * 1024)}`],
			[
				"latin1 bytes",
				Buffer.concat([
					Buffer.from("Bearer "),
					Buffer.from([0xff, 0xfe, 0x80]),
				]),
			],
			["wrong secret key", `Bearer tsk_${"w".repeat(40)}`],
			["secret key prefix only", "Bearer tsk_"],
			["secret key, upper-cased", `Bearer ${secretKey.toUpperCase()}`],
		];
		await fuzzEach("credentials", (op) => {
			const cases: Case[] = [];
			const target = pathOf(op, "session");
			const body = hasBody(op) ? JSON.stringify(exampleOf(op.body)) : undefined;
			for (const [label, value] of forgeries) {
				cases.push({
					label: `Authorization: ${label}`,
					method: op.method,
					target,
					headers: [["Authorization", value], json],
					...(body === undefined ? {} : { body }),
					// Every one is refused the same way, on every route, before any work.
					expectStatus: 401,
					expectCode: "UNAUTHENTICATED",
				});
			}
			const headers = (extra: [string, string | Buffer][]): Case => ({
				label: "",
				method: op.method,
				target,
				headers: [...authHeader("session"), json, ...extra],
				...(body === undefined ? {} : { body }),
			});
			cases.push(
				{
					...headers([["Authorization", `Bearer ${"A".repeat(64 * 1024)}`]]),
					label: "64 KB Authorization",
					parserMayRefuse: true,
				},
				{
					...headers([["X-Fuzz", "x".repeat(100 * 1024)]]),
					label: "100 KB header",
					parserMayRefuse: true,
				},
				{
					...headers(
						Array.from(
							{ length: 300 },
							(_, n) => [`X-Fuzz-${n}`, String(n)] as [string, string],
						),
					),
					label: "300 headers",
					parserMayRefuse: true,
				},
				{
					...headers([
						["Cookie", `tether_browser=${"c".repeat(8000)}; a=%FF; b="\u00ff"`],
					]),
					label: "huge odd cookie",
				},
				{
					...headers([["X-Request-Id", "r".repeat(8000)]]),
					label: "huge request id",
				},
				{
					...headers([["X-Request-Id", Buffer.from([0xff, 0x0b, 0x41])]]),
					label: "binary request id",
					parserMayRefuse: true,
				},
				{
					...headers([
						[
							"X-Forwarded-For",
							`${"1.1.1.1, ".repeat(500)}garbage, ::1, ${"f".repeat(200)}`,
						],
					]),
					label: "junk X-Forwarded-For",
				},
				{
					...headers([["Content-Length", "-1"]]),
					label: "negative Content-Length",
					parserMayRefuse: true,
				},
				{
					...headers([
						["Content-Length", "5"],
						["Transfer-Encoding", "chunked"],
					]),
					label: "Content-Length and chunked",
					parserMayRefuse: true,
					answerOptional: true,
				},
				{
					...headers([["Expect", "100-continue"]]),
					label: "Expect: 100-continue",
				},
				{
					...headers([
						["Origin", "https://evil.test"],
						["Authorization", `Bearer ${secretKey}`],
					]),
					label: "secret key from a browser",
					headers: [
						json,
						["Origin", "https://evil.test"],
						["Authorization", `Bearer ${secretKey}`],
					],
					// Refused outright where Tether's own credentials are read (the operator's routes
					// take only the admin secret and answer 401 to anything else).
					...(op.schemes.length === 0 ||
					op.schemes.includes("session") ||
					op.schemes.includes("secretKey")
						? { expectStatus: 403, expectCode: "FORBIDDEN" }
						: {}),
				},
			);
			return cases;
		});
	});

	it("provider callbacks with a live state and absurd codes, errors and issuers", async () => {
		const values: [string, string][] = [
			["junk code", "code=junk"],
			["10 KB code", `code=${"c".repeat(10 * 1024)}`],
			["NUL code", "code=%00"],
			["unicode code", `code=${encodeURIComponent("😀\u202e")}`],
			["empty code", "code="],
			["two codes", "code=a&code=b"],
			["error", "error=access_denied"],
			[
				"error with a huge description",
				`error=server_error&error_description=${"d".repeat(8000)}`,
			],
			[
				"error that is markup",
				`error=${encodeURIComponent("<script>alert(1)</script>")}`,
			],
			["code and error", "code=a&error=access_denied"],
			["foreign issuer", "code=a&iss=https%3A%2F%2Fevil.test"],
			["absurd issuer", `code=a&iss=${"%FF".repeat(100)}`],
			["nothing but state", ""],
		];
		const failures: string[] = [];
		for (const [label, extra] of values) {
			for (const method of ["GET", "POST"]) {
				const start = await rawRequest(port, {
					method: "GET",
					target: `/v1/signin/provider/${tether.provider}?redirectTo=${encodeURIComponent(appUrl)}`,
				});
				const location = new URL(start.headers.location ?? "http://x/");
				const state = location.searchParams.get("state") ?? "";
				const cookie = (start.headers["set-cookie"] ?? "").split(";")[0] ?? "";
				// The real issuer (RFC 9207) unless the case forges one, so junk codes reach the token endpoint.
				const iss = extra.includes("iss=")
					? ""
					: `&iss=${encodeURIComponent(tether.upstream.issuer)}`;
				const query = `state=${encodeURIComponent(state)}${extra === "" ? "" : `&${extra}`}${iss}`;
				const c: Case =
					method === "GET"
						? {
								label: `callback: ${label}`,
								method,
								target: `/v1/signin/provider/${tether.provider}/callback?${query}`,
								headers: [["Cookie", cookie]],
							}
						: {
								label: `form_post callback: ${label}`,
								method,
								target: `/v1/signin/provider/${tether.provider}/callback`,
								headers: [
									["Cookie", cookie],
									["Content-Type", "application/x-www-form-urlencoded"],
								],
								body: query,
							};
				sent++;
				const response = await rawRequest(port, c);
				if (process.env.FUZZ_VERBOSE)
					console.log(
						`${describeCase(c)} → ${response.status} ${response.headers.location ?? response.text().slice(0, 160)}`,
					);
				const failure = judge(c, response);
				if (failure !== null) failures.push(failure);
				// Never a session for a flow the provider did not complete.
				if (response.headers.location?.includes("code=") === true)
					failures.push(
						`${describeCase(c)} → a code: ${response.headers.location}`,
					);
			}
		}
		const health = await rawRequest(port, {
			method: "GET",
			target: "/v1/healthz",
		});
		expect(health.status).toBe(200);
		expect(failures, `seed ${seed}`).toEqual([]);
	});

	it("logged no unhandled error through all of it (each would have been a 500)", () => {
		expect(sent).toBeGreaterThan(1000);
		expect(
			tether.logs.filter((line) => line.includes('"unhandled error"')),
		).toEqual([]);
	});
});
