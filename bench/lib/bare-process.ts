/**
 * Child process: the baseline. A bare `node:http` server that checks the bearer header and answers
 * a constant JSON body of the same shape and size as Tether's access-token answer.
 */
import { createServer } from "node:http";
import { answerParent } from "./child.ts";

const { token, body } = JSON.parse(process.argv[2] ?? "{}") as {
	token: string;
	body: string;
};
const expected = `Bearer ${token}`;
const payload = Buffer.from(body);
const unauthorized = Buffer.from('{"error":"UNAUTHENTICATED"}');

const server = createServer((req, res) => {
	const ok = req.headers.authorization === expected;
	// Drain the request body, as a real handler must before answering on a kept-alive socket.
	req.resume();
	res.writeHead(ok ? 200 : 401, {
		"content-type": "application/json",
		"content-length": ok ? payload.length : unauthorized.length,
		"cache-control": "no-store",
	});
	res.end(ok ? payload : unauthorized);
});
server.listen(0, "127.0.0.1", () => {
	const address = server.address();
	if (address === null || typeof address === "string") process.exit(1);
	process.send?.({ ready: address.port });
});
answerParent(
	() =>
		new Promise<void>((resolve) => {
			server.close(() => resolve());
			server.closeIdleConnections();
		}),
);
