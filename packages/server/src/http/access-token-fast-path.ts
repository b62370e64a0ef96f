import type { IncomingMessage, ServerResponse } from "node:http";
import { HTTPException } from "hono/http-exception";
import type { NodeRoute } from "../listen.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics/index.ts";
import {
	accessTokenBody,
	accessTokenFor,
} from "../routes/connected-accounts.ts";
import type { RouteDeps } from "../routes/deps.ts";
import type { UsageTracker } from "../vault/usage.ts";
import { noStoreHeaders } from "./browser-binding.ts";
import { appOrigins, corsHeaders } from "./cors.ts";
import { invalidRequest } from "./env.ts";
import { toTetherError } from "./errors.ts";
import { type PrincipalDeps, principalOf } from "./principal.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { logRequest, requestIdFrom } from "./request-context.ts";

/**
 * `POST /v1/connected-accounts/:user/:provider/:providerAccountId/access-token` served straight
 * on node:http, ahead of Hono: the one route an app calls on every provider API call.
 *
 * It answers exactly as the Hono app does (app.ts's middleware and routes/connected-accounts.ts),
 * through the same cores: `principalOf` (readPrincipal), the app's own rate limiter instance
 * (`takeForPrincipal`), the route's body schema and `accessTokenFor`, `toTetherError`
 * (renderError), `corsHeaders`, `requestIdFrom` and `logRequest`. What it saves is the framework:
 * no web-standard Request/Headers/AbortSignal/ReadableStream per request, no middleware chain, no
 * Response object; and answers leave in batches (`answerBatches`). Session JWTs are verified once
 * and cached by `sessions.verify` (with its periodic liveness check, so a signed-out session stops
 * working as it does on the Hono path).
 *
 * It only takes requests it is sure about; everything else (other methods, percent-encoded or
 * dot segments, a query string, a body that is not a small `application/json` with a
 * Content-Length, `Expect`, `Content-Encoding`, `Transfer-Encoding`, repeated credential headers)
 * returns false before anything is read, and the Hono route answers it.
 */
export interface AccessTokenFastPathDeps extends RouteDeps, PrincipalDeps {
	usage: UsageTracker;
	metrics: Pick<Metrics, "observeRequest">;
	logger: Logger;
	rateLimiter: Pick<RateLimiter, "takeForPrincipal">;
	/** The JSON body limit of app.ts (`bodyLimit`); larger bodies go to Hono, which refuses them. */
	maxBodyBytes: number;
}

const prefix = "/v1/connected-accounts/";
const suffix = "/access-token";
/** The route template Hono reports for this route (metric label). */
export const accessTokenRouteTemplate =
	"/v1/connected-accounts/:user/:provider/:providerAccountId/access-token";
/** Path segments that need no decoding or normalising, by Hono's router or the URL parser. */
const plainSegment = /^[A-Za-z0-9._~:@!$'()*+,;=-]+$/;
const jsonContentType =
	/^application\/json(?:;[ \t]*charset=(?:utf-8|"utf-8"))?$/i;
const plainHost = /^[A-Za-z0-9.:[\]-]{1,255}$/;
const decimal = /^[0-9]{1,6}$/;
/** Request.json() decodes as the fetch standard's UTF-8 decode does (a BOM dropped, bad bytes replaced). */
const utf8 = new TextDecoder();

/** Headers a request must carry at most once for this path to read them as Hono would. */
const singleHeaders = new Set(["authorization", "content-type", "host"]);

function segmentOk(segment: string, max: number): boolean {
	return (
		segment.length > 0 &&
		segment.length <= max &&
		segment !== "." &&
		segment !== ".." &&
		plainSegment.test(segment)
	);
}

function repeatsSingleHeader(raw: string[]): boolean {
	let seen = "";
	for (let i = 0; i < raw.length; i += 2) {
		const name = (raw[i] as string).toLowerCase();
		if (!singleHeaders.has(name)) continue;
		if (seen.includes(`|${name}|`)) return true;
		seen += `|${name}|`;
	}
	return false;
}

interface Accepted {
	user: string;
	provider: string;
	providerAccountId: string;
	/** The body is JSON to read (else there is none). */
	json: boolean;
}

/** The request's route parameters when the fast path is confident about it, else null. */
function accept(req: IncomingMessage, maxBodyBytes: number): Accepted | null {
	if (req.method !== "POST") return null;
	const url = req.url;
	if (
		url === undefined ||
		!url.startsWith(prefix) ||
		!url.endsWith(suffix) ||
		url.length > prefix.length + suffix.length + 128 + 64 + 256 + 2
	)
		return null;
	const parts = url.slice(prefix.length, url.length - suffix.length).split("/");
	if (parts.length !== 3) return null;
	const [user, provider, providerAccountId] = parts as [string, string, string];
	if (
		!segmentOk(user, 128) ||
		!segmentOk(provider, 64) ||
		!segmentOk(providerAccountId, 256)
	)
		return null;
	const headers = req.headers;
	if (
		headers.expect !== undefined ||
		headers["transfer-encoding"] !== undefined ||
		headers["content-encoding"] !== undefined ||
		headers.host === undefined ||
		!plainHost.test(headers.host) ||
		repeatsSingleHeader(req.rawHeaders)
	)
		return null;
	const length = headers["content-length"];
	if (length !== undefined && !decimal.test(length)) return null;
	const bytes = length === undefined ? 0 : Number(length);
	const contentType = headers["content-type"];
	if (contentType === undefined) {
		// No body at all reads as `{}` on the Hono route; a body without a type is refused there.
		if (bytes !== 0) return null;
		return { user, provider, providerAccountId, json: false };
	}
	if (!jsonContentType.test(contentType) || bytes > maxBodyBytes) return null;
	return { user, provider, providerAccountId, json: true };
}

function readBody(req: IncomingMessage): Buffer | Promise<Buffer> {
	// Usually the body came in the headers' packet and the parser has pushed all of it by now.
	if (req.complete && !req.readableFlowing) {
		const whole = req.read() as Buffer | null;
		req.resume(); // let the stream end (and free the socket for the next request)
		return whole ?? Buffer.alloc(0);
	}
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on("data", (chunk: Buffer) => chunks.push(chunk));
		req.on("end", () =>
			resolve(
				chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
			),
		);
		req.on("error", reject);
		req.on("close", () => {
			if (!req.complete) reject(new Error("aborted"));
		});
	});
}

/** The body's scopes, as the route's validators read them: 400s with the same codes and messages. */
function scopesOf(body: Buffer | null): string[] | undefined {
	let value: unknown = {};
	// `{}`, what most callers send, asks for no scopes; no need to parse it.
	if (
		body !== null &&
		!(body.length === 2 && body[0] === 0x7b && body[1] === 0x7d)
	) {
		try {
			value = JSON.parse(utf8.decode(body));
		} catch {
			throw new HTTPException(400, {
				message: "Malformed JSON in request body",
			});
		}
	}
	const result = accessTokenBody.safeParse(value);
	if (!result.success) throw invalidRequest(result.error);
	return result.data.scopes;
}

export function createAccessTokenFastPath(
	deps: AccessTokenFastPathDeps,
): NodeRoute {
	const origins = appOrigins(
		deps.config.allowedRedirectUrls,
		deps.config.baseUrl,
	);
	const answers = answerBatches(deps.logger);

	async function serve(
		req: IncomingMessage,
		res: ServerResponse,
		accepted: Accepted,
	): Promise<void> {
		const started = performance.now();
		const requestId = requestIdFrom(headerOf(req, "x-request-id"));
		const origin = headerOf(req, "origin");
		const headers: Record<string, string> = { "X-Request-Id": requestId };
		for (const [name, value] of corsHeaders(origins, origin))
			headers[name] = value;
		headers["X-Content-Type-Options"] = "nosniff";
		let status: number;
		let json: string;
		try {
			const principal = await principalOf(deps, {
				authorization: req.headers.authorization,
				origin,
				url: req.url as string,
			});
			deps.rateLimiter.takeForPrincipal(principal);
			const scopes = scopesOf(accepted.json ? await readBody(req) : null);
			const token = await accessTokenFor(deps, principal, {
				user: accepted.user,
				provider: accepted.provider,
				providerAccountId: accepted.providerAccountId,
				scopes,
			});
			for (const [name, value] of noStoreHeaders) headers[name] = value;
			status = 200;
			json = serialized(token);
		} catch (thrown) {
			const error = toTetherError(
				thrown instanceof Error ? thrown : new Error(String(thrown)),
				{
					logger: deps.logger,
					requestId,
					clientWentAway: () => !req.complete && req.destroyed,
				},
			);
			for (const [name, value] of Object.entries(error.headers ?? {}))
				headers[name] = value;
			headers["Cache-Control"] = "no-store";
			status = error.status;
			json = JSON.stringify(error.toBody());
		}
		headers["Content-Type"] = "application/json";
		headers["Content-Length"] = String(Buffer.byteLength(json));
		answers.later(() => {
			if (!res.destroyed) {
				res.writeHead(status, headers);
				res.end(json);
			}
			deps.metrics.observeRequest({
				method: "POST",
				route: accessTokenRouteTemplate,
				status,
				seconds: (performance.now() - started) / 1000,
			});
			logRequest(deps.logger, {
				requestId,
				method: "POST",
				path: req.url as string,
				status,
				started,
			});
		}, res);
	}

	return (req, res) => {
		const accepted = accept(req, deps.maxBodyBytes);
		if (accepted === null) return false;
		serve(req, res, accepted).catch((error: unknown) => {
			// serve() turns every failure into an answer; this is the last resort.
			deps.logger.warn(
				{ err: { message: error instanceof Error ? error.message : "" } },
				"access-token fast path failed to answer",
			);
			res.destroy();
		});
		return true;
	};
}

/**
 * Answers are written together once the event loop has read every request that was waiting (in
 * `setImmediate`, after the poll phase), not one by one as each is ready: the clients' processes
 * then wake once per batch instead of once per answer, which on loopback and on shared cores
 * costs as much as the answer itself (measured: +40% throughput at lower latency, see
 * docs/benchmarks.md). A lone request waits one turn of the loop. The same idea as Netty's flush
 * consolidation.
 */
function answerBatches(logger: Logger) {
	let pending: { write: () => void; res: ServerResponse }[] = [];
	function flush() {
		const batch = pending;
		pending = [];
		for (const { write, res } of batch) {
			try {
				write();
			} catch (error) {
				// Only writing the answer can fail here; the socket is gone.
				logger.warn(
					{ err: { message: error instanceof Error ? error.message : "" } },
					"access-token fast path failed to answer",
				);
				res.destroy();
			}
		}
	}
	return {
		later(write: () => void, res: ServerResponse) {
			pending.push({ write, res });
			if (pending.length === 1) setImmediate(flush);
		},
	};
}

/**
 * Answers served from memory (vault/hot-tokens.ts) are the same object for as long as the entry
 * lives: its JSON is made once.
 */
const serializedAnswers = new WeakMap<object, string>();

function serialized(token: object): string {
	let json = serializedAnswers.get(token);
	if (json === undefined) {
		json = JSON.stringify(token);
		serializedAnswers.set(token, json);
	}
	return json;
}

/** A header as undici's Headers gives it to Hono: repeated values joined with ", ". */
function headerOf(req: IncomingMessage, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value.join(", ") : value;
}
