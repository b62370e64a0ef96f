// Test helper: a loopback HTTP server that replays scripted provider answers. @tether/testkit
// cannot serve here: it depends on @tether/oauth, and oauth imports nothing of ours.
import { createServer, type IncomingMessage } from "node:http";

/** One scripted answer. An object body is sent as JSON; a string body is sent as given. */
export interface ReplayAnswer {
	status?: number;
	headers?: Record<string, string>;
	body?: string | object;
}

/** A request the server received, as the provider would have seen it. */
export interface RecordedRequest {
	method: string;
	/** Path and query. */
	path: string;
	headers: Headers;
	body: string;
}

export interface ReplayServer {
	/** `http://127.0.0.1:<port>` */
	origin: string;
	requests: RecordedRequest[];
	/**
	 * Answers for `METHOD /path` (query ignored), used in order; the last one repeats.
	 * Unscripted routes answer 404.
	 */
	script(method: string, path: string, ...answers: ReplayAnswer[]): void;
	/** The same path and query as a real provider URL, on this server. */
	local(url: string): string;
	close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) {
		chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
	}
	return Buffer.concat(chunks).toString("utf8");
}

function toHeaders(request: IncomingMessage): Headers {
	const headers = new Headers();
	for (const [name, value] of Object.entries(request.headers)) {
		if (typeof value === "string") headers.set(name, value);
		else if (Array.isArray(value)) headers.set(name, value.join(", "));
	}
	return headers;
}

/** Starts a replay server on an ephemeral 127.0.0.1 port. */
export async function startReplayServer(): Promise<ReplayServer> {
	const routes = new Map<string, ReplayAnswer[]>();
	const requests: RecordedRequest[] = [];

	const server = createServer((request, response) => {
		void (async () => {
			const path = request.url ?? "/";
			const method = request.method ?? "GET";
			requests.push({
				method,
				path,
				headers: toHeaders(request),
				body: await readBody(request),
			});
			const key = `${method} ${new URL(path, "http://replay").pathname}`;
			const queue = routes.get(key);
			const answer = queue && queue.length > 1 ? queue.shift() : queue?.[0];
			if (answer === undefined) {
				response.writeHead(404, { "content-type": "application/json" });
				response.end(JSON.stringify({ error: "not_scripted", route: key }));
				return;
			}
			const { body } = answer;
			const json = typeof body === "object";
			response.writeHead(answer.status ?? 200, {
				...(json ? { "content-type": "application/json" } : {}),
				...answer.headers,
			});
			response.end(json ? JSON.stringify(body) : (body ?? ""));
		})();
	});

	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => resolve());
	});
	const address = server.address();
	if (address === null || typeof address === "string") {
		throw new Error("replay server is not listening on a TCP port");
	}
	const origin = `http://127.0.0.1:${address.port}`;

	return {
		origin,
		requests,
		script(method, path, ...answers) {
			routes.set(`${method.toUpperCase()} ${path}`, answers);
		},
		local(url) {
			const real = new URL(url);
			return `${origin}${real.pathname}${real.search}`;
		},
		async close() {
			const closed = new Promise<void>((resolve, reject) => {
				server.close((error) => (error ? reject(error) : resolve()));
			});
			server.closeAllConnections();
			await closed;
		},
	};
}
