import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../http/env.ts";
import type { RouteDeps } from "./deps.ts";
import { jsonResponse } from "./schemas.ts";

const jwksSchema = z
	.object({ keys: z.array(z.record(z.string(), z.unknown())) })
	.openapi("JWKS");

function jwksRoute(path: string) {
	return createRoute({
		method: "get",
		path,
		summary: "Public keys that verify Tether session JWTs",
		responses: { 200: jsonResponse("The key set", jwksSchema) },
	});
}

export function jwksRoutes(deps: RouteDeps) {
	const router = createRouter();
	for (const path of ["/.well-known/jwks.json", "/v1/.well-known/jwks.json"]) {
		router.openapi(jwksRoute(path), (c) => {
			// Short caching: a rotated-in key must reach verifiers before it signs anything they see.
			c.header("Cache-Control", "public, max-age=300");
			return c.json(
				{ keys: deps.signingKeys.jwks().keys.map((key) => ({ ...key })) },
				200,
			);
		});
	}
	return router;
}
