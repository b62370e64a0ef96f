import {
	createServer,
	type IncomingMessage,
	request,
	type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** A token request the proxy is holding: it has not reached the upstream. */
export interface HeldRequest {
	grantType: string;
	/** When the proxy started holding it (epoch ms). */
	heldAt: number;
	/** Resolves when the caller's side of the connection is gone (e.g. its process was killed). */
	readonly callerGone: Promise<void>;
	/** Sends it on to the upstream after all, answering the caller with the upstream's answer. */
	forward(): void;
	/** Never sends it: the connection is destroyed and the upstream never hears of it. */
	drop(): void;
}

/** One token-endpoint round trip as the proxy saw it. */
export interface TokenExchange {
	/** The form body Tether sent (`grant_type`, `code`, `code_verifier`, `refresh_token`, …). */
	requestBody: string;
	/** Tether's `Authorization` header (client credentials), if any. */
	authorization: string | undefined;
	status: number;
	/** The upstream's answer body, as received. */
	answer: string;
	/** The path the request came in on at the proxy. */
	path: string;
}

/**
 * Sees every exchange; a string returned replaces the answer Tether gets (a man in the middle
 * tampering with an ID token, say), `undefined` passes it on unchanged.
 */
export type TokenTap = (exchange: TokenExchange) => string | undefined;

/**
 * A fault played instead of forwarding: the upstream never hears of the request, so no refresh
 * token is spent. `unavailable` answers 503 (with `Retry-After` when given), `hang` keeps the
 * connection open without answering until the caller gives up (or `ms` pass, then resets it),
 * `reset` destroys the connection at once.
 */
export type TokenFault =
	| { kind: "unavailable"; retryAfterSeconds?: number }
	| { kind: "hang"; ms?: number }
	| { kind: "reset" };

/** What a fault hook sees of a request: its path at the proxy and its grant type. */
export interface TokenRequestInfo {
	path: string;
	grantType: string;
}

export interface TokenProxy {
	/** The token endpoint to configure in Tether (`tokenEndpoint`). */
	url: string;
	/** Epoch ms at which each `refresh_token` grant was forwarded to the upstream. */
	readonly forwardedRefreshes: readonly number[];
	/** How many token requests were dropped unforwarded. */
	readonly dropped: number;
	/**
	 * Holds the next `refresh_token` grant instead of forwarding it, and resolves once one is
	 * being held. Every other request passes straight through.
	 */
	holdNextRefresh(): Promise<HeldRequest>;
	/**
	 * Requests forwarded to the upstream whose answer has not yet been handed to the caller, by the
	 * path they came in on (a test can give each caller its own path: every path is forwarded to
	 * the one upstream token endpoint).
	 */
	inFlight(path?: string): number;
	/**
	 * Upstream answers that never reached their caller (it hung up first, e.g. after its own
	 * timeout): with a rotating provider, each is a refresh token spent without the caller knowing.
	 */
	readonly lostAnswers: number;
	/** Faults played by the `fault` hook, by kind. */
	readonly faults: Readonly<Record<TokenFault["kind"], number>>;
	close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((done, fail) => {
		const chunks: Buffer[] = [];
		req.on("data", (chunk: Buffer) => chunks.push(chunk));
		req.on("end", () => done(Buffer.concat(chunks)));
		req.on("error", fail);
	});
}

/**
 * A loopback reverse proxy in front of the upstream's token endpoint (the upstream itself cannot
 * delay an answer). It passes requests through byte for byte, except that it can hold one refresh
 * so a test can act while a Tether process is "mid-refresh".
 */
export async function startTokenProxy(
	target: string,
	options: {
		tap?: TokenTap;
		/** Decides per request whether to play a fault instead of forwarding; `undefined` forwards. */
		fault?: (request: TokenRequestInfo) => TokenFault | undefined;
	} = {},
): Promise<TokenProxy> {
	const { tap } = options;
	const upstream = new URL(target);
	const forwardedRefreshes: number[] = [];
	let dropped = 0;
	let lostAnswers = 0;
	const faults: Record<TokenFault["kind"], number> = {
		unavailable: 0,
		hang: 0,
		reset: 0,
	};
	const inFlightByPath = new Map<string, number>();
	let waiting: ((held: HeldRequest) => void) | undefined;

	function play(fault: TokenFault, res: ServerResponse) {
		faults[fault.kind] += 1;
		switch (fault.kind) {
			case "unavailable": {
				const body = JSON.stringify({ error: "temporarily_unavailable" });
				res.writeHead(503, {
					"content-type": "application/json",
					"content-length": String(Buffer.byteLength(body)),
					...(fault.retryAfterSeconds === undefined
						? {}
						: { "retry-after": String(fault.retryAfterSeconds) }),
				});
				res.end(body);
				return;
			}
			case "hang": {
				// Never answered: the caller's own timeout (or death) ends it; a cap keeps the proxy tidy.
				const timer = setTimeout(() => res.destroy(), fault.ms ?? 60_000);
				res.once("close", () => clearTimeout(timer));
				return;
			}
			case "reset":
				res.socket?.resetAndDestroy();
				res.destroy();
				return;
		}
	}

	function forward(req: IncomingMessage, res: ServerResponse, body: Buffer) {
		const path = new URL(req.url ?? "/", "http://proxy").pathname;
		inFlightByPath.set(path, (inFlightByPath.get(path) ?? 0) + 1);
		let done = false;
		res.once("close", () => {
			if (done) return;
			done = true;
			inFlightByPath.set(path, (inFlightByPath.get(path) ?? 1) - 1);
			if (!res.writableFinished) lostAnswers += 1;
		});
		const headers = { ...req.headers, host: upstream.host };
		// A tap reads the answer: ask for it uncompressed.
		if (tap !== undefined) delete headers["accept-encoding"];
		const outgoing = request(
			upstream,
			{ method: req.method, headers },
			(answer) => {
				if (tap === undefined) {
					res.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(res);
					return;
				}
				void readBody(answer).then(
					(received) => {
						const status = answer.statusCode ?? 502;
						const replaced = tap({
							requestBody: body.toString("utf8"),
							authorization: req.headers.authorization,
							status,
							answer: received.toString("utf8"),
							path,
						});
						const out =
							replaced === undefined ? received : Buffer.from(replaced);
						const headers = { ...answer.headers };
						delete headers["transfer-encoding"];
						headers["content-length"] = String(out.length);
						res.writeHead(status, headers);
						res.end(out);
					},
					() => res.destroy(),
				);
			},
		);
		outgoing.on("error", () => res.destroy());
		outgoing.end(body);
	}

	const server = createServer((req, res) => {
		void readBody(req).then(
			(body) => {
				const grantType =
					new URLSearchParams(body.toString("utf8")).get("grant_type") ?? "";
				const hold = waiting;
				const fault = options.fault?.({
					path: new URL(req.url ?? "/", "http://proxy").pathname,
					grantType,
				});
				if (fault !== undefined) {
					play(fault, res);
					return;
				}
				if (grantType !== "refresh_token" || hold === undefined) {
					if (grantType === "refresh_token")
						forwardedRefreshes.push(Date.now());
					forward(req, res, body);
					return;
				}
				waiting = undefined;
				let settled = false;
				const callerGone = new Promise<void>((done) => {
					res.once("close", () => done());
				});
				hold({
					grantType,
					heldAt: Date.now(),
					callerGone,
					forward() {
						if (settled) return;
						settled = true;
						forwardedRefreshes.push(Date.now());
						forward(req, res, body);
					},
					drop() {
						if (settled) return;
						settled = true;
						dropped += 1;
						res.destroy();
					},
				});
			},
			() => res.destroy(),
		);
	});
	await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
	const { port } = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}${upstream.pathname}`,
		get forwardedRefreshes() {
			return forwardedRefreshes;
		},
		get dropped() {
			return dropped;
		},
		holdNextRefresh() {
			if (waiting !== undefined)
				throw new Error("already waiting to hold a refresh");
			return new Promise((done) => {
				waiting = done;
			});
		},
		inFlight(path) {
			if (path !== undefined) return inFlightByPath.get(path) ?? 0;
			let total = 0;
			for (const n of inFlightByPath.values()) total += n;
			return total;
		},
		get lostAnswers() {
			return lostAnswers;
		},
		get faults() {
			return faults;
		},
		close: () =>
			new Promise<void>((done) => {
				server.close(() => done());
				server.closeAllConnections();
			}),
	};
}
