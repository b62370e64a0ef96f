import { randomUUID } from "node:crypto";
import {
	createServer,
	type IncomingMessage,
	type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { ErrorBody } from "@tether/api";
import type { App } from "./app.ts";

export interface Listener {
	port: number;
	/** Stops accepting, lets in-flight requests finish, drops idle keep-alive sockets. */
	close(): Promise<void>;
}

/** A node handler serving every path under `mountPath` (e.g. the development provider). */
export interface MountedHandler {
	mountPath: string;
	handler(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * A node handler for one hot route, tried before the app on every request: it returns false,
 * having read and written nothing, for any request it does not take (the app answers those).
 */
export type NodeRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

const nodeRoutes = new WeakMap<App, NodeRoute>();

/**
 * Registers `route` to be tried ahead of `app` wherever the app is served by `listen`
 * (`createServer` registers the access-token fast path this way).
 */
export function serveAhead(app: App, route: NodeRoute): void {
	nodeRoutes.set(app, route);
}

/** The route `serveAhead` registered for `app`, if any (tests wrap it to see what it takes). */
export function nodeRouteOf(app: App): NodeRoute | undefined {
	return nodeRoutes.get(app);
}

function isUnder(url: string, mountPath: string): boolean {
	const queryAt = url.indexOf("?");
	const path = queryAt === -1 ? url : url.slice(0, queryAt);
	return path === mountPath || path.startsWith(`${mountPath}/`);
}

/**
 * Serves the app on node:http. Port 0 picks a free one (tests). `developmentProvider` (from
 * `TetherServer`) gets the requests under its path on the same port; the app gets the rest.
 */
export async function listen(
	app: App,
	{
		port,
		hostname,
		developmentProvider,
	}: { port: number; hostname: string; developmentProvider?: MountedHandler },
): Promise<Listener> {
	// What @hono/node-server's `serve` does, with room for a node handler in front.
	const serveApp = getRequestListener(app.fetch, { hostname });
	const mounted =
		developmentProvider !== undefined && developmentProvider.mountPath !== ""
			? developmentProvider
			: undefined;
	const ahead = nodeRoutes.get(app);
	const server = createServer((req, res) => {
		const url = req.url ?? "/";
		// `OPTIONS *` and absolute-form targets are valid HTTP but name no path of ours.
		if (!url.startsWith("/")) {
			res.writeHead(400, jsonErrorHeaders(invalidTarget));
			res.end(invalidTarget);
			return;
		}
		if (mounted !== undefined && isUnder(url, mounted.mountPath)) {
			mounted.handler(req, res);
			return;
		}
		if (ahead?.(req, res)) return;
		void serveApp(req, res);
	});
	server.on("clientError", answerParserError);
	await new Promise<void>((resolve, reject) => {
		server.once("listening", resolve);
		server.once("error", reject);
		server.listen(port, hostname);
	});
	const address = server.address() as AddressInfo;
	return {
		port: address.port,
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.close((error) => (error ? reject(error) : resolve()));
				server.closeIdleConnections();
			}),
	};
}

/**
 * Node's HTTP parser refuses some requests before the app sees them (oversized headers, broken
 * request lines). Its default answer is a bare status line; this one keeps the promise that every
 * error is JSON with a code and a request id, and says nothing about the parser's internals.
 */
function answerParserError(error: Error & { code?: string }, socket: Socket) {
	if (error.code === "ECONNRESET" || !socket.writable) {
		socket.destroy();
		return;
	}
	const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
	const json = tooLarge ? headersTooLarge : notHttp;
	const head = Object.entries(jsonErrorHeaders(json)).map(
		([name, value]) => `${name}: ${value}`,
	);
	socket.end(
		[
			`HTTP/1.1 ${tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"}`,
			...head,
			"Connection: close",
			"",
			json,
		].join("\r\n"),
	);
}

function errorJson(body: ErrorBody): string {
	return JSON.stringify(body);
}

const invalidTarget = errorJson({
	code: "INVALID_REQUEST",
	message: "The request target must be a path.",
});
const notHttp = errorJson({
	code: "INVALID_REQUEST",
	message: "The request is not valid HTTP.",
});
const headersTooLarge = errorJson({
	code: "REQUEST_HEADERS_TOO_LARGE",
	message: "The request's headers are too large.",
});

function jsonErrorHeaders(json: string): Record<string, string> {
	return {
		"Content-Type": "application/json; charset=utf-8",
		"Content-Length": String(Buffer.byteLength(json)),
		"X-Request-Id": randomUUID(),
		"Cache-Control": "no-store",
	};
}
