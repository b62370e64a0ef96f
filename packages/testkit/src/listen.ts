import type { Server } from "node:http";
import { createServer as createNetServer } from "node:net";

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

/**
 * A loopback port that is free now, for a server that must know its port before it listens (a
 * config's `baseUrl`, a child process's `PORT`). Drawn at random below Linux's ephemeral range
 * (32768–60999; macOS and Windows start at 49152): a port the system handed out for `listen(0)`
 * and let go is next handed to any outgoing connection — with many tests connecting at once, one
 * often took it before the server listened. Here only another test picking the same number at
 * the same moment can, about one chance in twelve thousand.
 */
export async function freePort(): Promise<number> {
	for (let attempt = 0; attempt < 100; attempt++) {
		const port = 20_000 + Math.floor(Math.random() * 12_000);
		const server = createNetServer();
		const bound = await new Promise<boolean>((resolve) => {
			server.once("error", () => resolve(false));
			server.listen(port, "127.0.0.1", () => resolve(true));
		});
		if (!bound) continue;
		await new Promise((resolve) => server.close(resolve));
		return port;
	}
	throw new Error("no free loopback port in 20000–31999");
}
