import type { Server } from "node:http";

/** Listens on an ephemeral loopback port and gives back the base URL. */
export async function listenOnLoopback(server: Server): Promise<URL> {
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			server.off("error", reject);
			resolve();
		});
	});
	const address = server.address();
	if (address === null || typeof address === "string") {
		throw new Error("server is not listening on a TCP port");
	}
	return new URL(`http://127.0.0.1:${address.port}`);
}

/**
 * Stops the server, cutting keep-alive and hanging connections instead of waiting for them:
 * a test's fetch pool or a scripted hang would otherwise keep `close()` waiting forever.
 */
export async function closeServer(server: Server): Promise<void> {
	if (!server.listening) return;
	const closed = new Promise<void>((resolve, reject) => {
		server.close((error) => (error ? reject(error) : resolve()));
	});
	server.closeAllConnections();
	await closed;
}
