import { z } from "@hono/zod-openapi";

/** The error body every route may answer with (the shared code table lives in `@tether/api`). */
export const errorSchema = z
	.object({
		code: z.string().openapi({ example: "INVALID_REQUEST" }),
		message: z.string(),
		details: z.record(z.string(), z.unknown()).optional(),
	})
	.openapi("Error");

/** An OpenAPI response entry for an error status. */
export function errorResponse(description: string) {
	return {
		description,
		content: { "application/json": { schema: errorSchema } },
	};
}

/** A JSON response entry. */
export function jsonResponse<T extends z.ZodType>(
	description: string,
	schema: T,
) {
	return { description, content: { "application/json": { schema } } };
}

/** A JSON request body; `required: false` where every field is optional, so the body may be left out. */
export function jsonBody<T extends z.ZodType>(schema: T, required = true) {
	return { body: { content: { "application/json": { schema } }, required } };
}

export const connectedAccountSchema = z
	.object({
		id: z
			.string()
			.openapi({ description: "The provider config id (same as provider)" }),
		provider: z.string(),
		providerAccountId: z.string(),
		scopes: z.array(z.string()),
		status: z.enum(["active", "reauth_required"]),
		email: z.string().optional(),
		displayName: z.string().optional(),
		createdAt: z.string(),
		updatedAt: z.string(),
	})
	.openapi("ConnectedAccount");

export const userSchema = z
	.object({
		id: z.string(),
		externalId: z.string().optional(),
		email: z.string().optional(),
		displayName: z.string().optional(),
		createdAt: z.string(),
		connectedAccounts: z.array(connectedAccountSchema),
	})
	.openapi("User");

export const sessionSchema = z
	.object({
		accessToken: z.string(),
		accessTokenExpiresIn: z.number().int(),
		refreshToken: z.string(),
		user: userSchema,
	})
	.openapi("Session");

export const providerSessionSchema = z
	.object({
		accessToken: z.string(),
		expiresIn: z.number().int().nullable(),
		expiresAt: z.string().nullable(),
		refreshToken: z.string().nullable(),
	})
	.openapi("ProviderSession");

export const scopeList = z.array(z.string().min(1).max(512)).max(100);
export const providerParam = z.object({ provider: z.string().min(1).max(64) });

/** OpenAPI security: a session JWT, or the app backend's secret key. */
export const sessionOrSecretKey: Record<string, string[]>[] = [
	{ session: [] },
	{ secretKey: [] },
];
