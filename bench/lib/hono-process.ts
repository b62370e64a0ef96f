/**
 * Child process: the framework floor. Hono on @hono/node-server (what Tether is built on) with the
 * access-token route answering the same constant JSON after the same bearer check: no middleware,
 * no validation, no store. Between `bare` and Tether, it shows what the framework itself costs.
 */
import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { answerParent } from "./child.ts";

const { token, body } = JSON.parse(process.argv[2] ?? "{}") as {
	token: string;
	body: string;
};
const expected = `Bearer ${token}`;
const answer = JSON.parse(body) as Record<string, unknown>;

const app = new Hono();
app.post(
	"/v1/connected-accounts/:user/:provider/:providerAccountId/access-token",
	async (c) => {
		if (c.req.header("authorization") !== expected)
			return c.json({ error: "UNAUTHENTICATED" }, 401);
		await c.req.json();
		c.header("Cache-Control", "no-store");
		return c.json(answer, 200);
	},
);

const server = createServer(getRequestListener(app.fetch));
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
