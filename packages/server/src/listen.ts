import {
	createServer,
	type IncomingMessage,
	type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
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
	const server = createServer(
		mounted === undefined
			? serveApp
			: (req, res) => {
					if (isUnder(req.url ?? "/", mounted.mountPath)) {
						mounted.handler(req, res);
						return;
					}
					void serveApp(req, res);
				},
	);
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
