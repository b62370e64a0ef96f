import { randomBytes } from "node:crypto";
import {
	createServer,
	type IncomingMessage,
	type ServerResponse,
} from "node:http";
import { closeServer, listenOnLoopback } from "../listen.ts";
import {
	defaultBehaviours,
	type FaultBehaviour,
	type FaultEndpoint,
} from "./behaviours.ts";
import { answer, randomToken } from "./respond.ts";

export interface FaultProviderOptions {
	/** Default `fault-client`. The provider never checks credentials; `requests` shows them. */
	clientId?: string;
	/** Default: random. */
	clientSecret?: string;
	/** Answers when an endpoint's queue is empty. Default: success everywhere. */
	defaults?: Partial<Record<FaultEndpoint, FaultBehaviour>>;
}

/** One request the fault provider received, for assertions on what the client sent. */
export interface FaultRequest {
	endpoint: FaultEndpoint;
	method: string;
	authorization?: string;
	contentType?: string;
	accept?: string;
	/** The form body (token, revocation) as key → first value. */
	form: Record<string, string>;
	/** The behaviour that answered it. */
	behaviour: FaultBehaviour["kind"];
}

export interface FaultCounters {
	authorize: number;
	token: number;
	revocation: number;
	userinfo: number;
}

export interface FaultProvider {
	/** Base URL, `http://127.0.0.1:<port>`. */
	url: string;
	/** `authorizationEndpoint` redirects straight back with a random code and the state. */
	endpoints: {
		authorizationEndpoint: string;
		tokenEndpoint: string;
		revocationEndpoint: string;
		userinfoEndpoint: string;
	};
	clientId: string;
	clientSecret: string;
	/** Queues answers for the next token-endpoint calls, one per call, before the default. */
	enqueue(...behaviours: FaultBehaviour[]): void;
	/** Queues answers for the next calls to one endpoint. */
	enqueueFor(endpoint: FaultEndpoint, ...behaviours: FaultBehaviour[]): void;
	/** Sets the answer used when an endpoint's queue is empty (token by default). */
	setDefault(behaviour: FaultBehaviour, endpoint?: FaultEndpoint): void;
	readonly counters: Readonly<FaultCounters>;
	readonly requests: readonly FaultRequest[];
	/** Stops the server, destroying hanging and keep-alive connections. */
	close(): Promise<void>;
}

const PATHS: Readonly<Record<string, FaultEndpoint>> = {
	"/token": "token",
	"/revoke": "revocation",
	"/userinfo": "userinfo",
};

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) {
		chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
	}
	const fields = new Map<string, string>();
	for (const [key, value] of new URLSearchParams(
		Buffer.concat(chunks).toString("utf8"),
	)) {
		if (!fields.has(key)) fields.set(key, value);
	}
	return Object.fromEntries(fields);
}

/**
 * Starts a small OAuth provider on an ephemeral loopback port whose token, revocation and
 * userinfo endpoints answer as the test scripts them: success, 503/429 with Retry-After,
 * hang, TCP reset, an HTML 502, GitHub's 200 + error, invalid_grant, invalid_client.
 */
export async function startFaultProvider(
	options: FaultProviderOptions = {},
): Promise<FaultProvider> {
	const server = createServer();
	const url = (await listenOnLoopback(server)).origin;
	const queues: Record<FaultEndpoint, FaultBehaviour[]> = {
		token: [],
		revocation: [],
		userinfo: [],
	};
	const defaults: Record<FaultEndpoint, FaultBehaviour> = {
		...defaultBehaviours,
		...options.defaults,
	};
	const counters: FaultCounters = {
		authorize: 0,
		token: 0,
		revocation: 0,
		userinfo: 0,
	};
	const requests: FaultRequest[] = [];
	// Pending delays, so close() can release them instead of leaving handlers waiting.
	const delays = new Map<NodeJS.Timeout, () => void>();

	function wait(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				delays.delete(timer);
				resolve();
			}, ms);
			delays.set(timer, resolve);
		});
	}

	async function handle(
		req: IncomingMessage,
		res: ServerResponse,
	): Promise<void> {
		const requestUrl = new URL(req.url ?? "/", url);
		if (requestUrl.pathname === "/authorize") {
			counters.authorize += 1;
			const redirectUri = requestUrl.searchParams.get("redirect_uri");
			if (redirectUri === null) {
				res.writeHead(400).end("redirect_uri is required");
				return;
			}
			const back = new URL(redirectUri);
			back.searchParams.set("code", randomToken("code"));
			const state = requestUrl.searchParams.get("state");
			if (state !== null) back.searchParams.set("state", state);
			res.writeHead(302, { location: back.href }).end();
			return;
		}

		const endpoint = PATHS[requestUrl.pathname];
		if (endpoint === undefined) {
			res.writeHead(404).end();
			return;
		}
		counters[endpoint] += 1;
		const form = await readForm(req);
		const behaviour = queues[endpoint].shift() ?? defaults[endpoint];
		requests.push({
			endpoint,
			method: req.method ?? "GET",
			authorization: req.headers.authorization,
			contentType: req.headers["content-type"],
			accept: req.headers.accept,
			form,
			behaviour: behaviour.kind,
		});
		if (behaviour.delayMs !== undefined && behaviour.delayMs > 0) {
			await wait(behaviour.delayMs);
		}
		if (res.destroyed) return;
		answer(endpoint, behaviour, form, req, res);
	}

	server.on("request", (req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (!res.headersSent && !res.destroyed) {
				res.writeHead(500, { "content-type": "text/plain" });
			}
			res.end(
				`fault provider failed: ${error instanceof Error ? error.message : String(error)}`,
			);
		});
	});

	return {
		url,
		endpoints: {
			authorizationEndpoint: `${url}/authorize`,
			tokenEndpoint: `${url}/token`,
			revocationEndpoint: `${url}/revoke`,
			userinfoEndpoint: `${url}/userinfo`,
		},
		clientId: options.clientId ?? "fault-client",
		clientSecret: options.clientSecret ?? randomBytes(24).toString("base64url"),
		enqueue(...behaviours) {
			queues.token.push(...behaviours);
		},
		enqueueFor(endpoint, ...behaviours) {
			queues[endpoint].push(...behaviours);
		},
		setDefault(behaviour, endpoint = "token") {
			defaults[endpoint] = behaviour;
		},
		counters,
		requests,
		async close() {
			await closeServer(server);
			// The sockets are gone, so released handlers see `res.destroyed` and stop.
			for (const [timer, release] of delays) {
				clearTimeout(timer);
				release();
			}
			delays.clear();
		},
	};
}
