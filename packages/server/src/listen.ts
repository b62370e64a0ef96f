import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { App } from "./app.ts";

export interface Listener {
	port: number;
	/** Stops accepting, lets in-flight requests finish, drops idle keep-alive sockets. */
	close(): Promise<void>;
}

/** Serves the app on node:http. Port 0 picks a free one (tests). */
export async function listen(
	app: App,
	{ port, hostname }: { port: number; hostname: string },
): Promise<Listener> {
	const server = serve({ fetch: app.fetch, port, hostname });
	await new Promise<void>((resolve, reject) => {
		server.once("listening", resolve);
		server.once("error", reject);
	});
	const address = server.address() as AddressInfo;
	return {
		port: address.port,
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.close((error) => (error ? reject(error) : resolve()));
				if ("closeIdleConnections" in server) server.closeIdleConnections();
			}),
	};
}
