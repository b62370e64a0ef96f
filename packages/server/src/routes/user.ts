import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../http/env.ts";
import { requireSession } from "../http/principal.ts";
import { getUserView } from "../vault/accounts.ts";
import type { RouteDeps } from "./deps.ts";
import { errorResponse, jsonResponse, userSchema } from "./schemas.ts";

const userRoute = createRoute({
	method: "get",
	path: "/v1/user",
	summary: "The signed-in user, with their connected accounts",
	security: [{ session: [] }],
	responses: {
		200: jsonResponse("The user", userSchema),
		401: errorResponse("No session"),
	},
});

export function userRoutes(deps: RouteDeps) {
	return createRouter().openapi(userRoute, async (c) => {
		const session = requireSession(c.get("principal"));
		return c.json(await getUserView(deps, session.userId), 200);
	});
}
