import { z } from "@hono/zod-openapi";

/** The admin API's shapes (the same as `@tether/api`'s `Admin…` types), for validation and OpenAPI. */

const isoTime = z.string().openapi({ format: "date-time" });
const failureCounts = z.object({
	transient: z.number().int(),
	permanent: z.number().int(),
	misconfigured: z.number().int(),
});

const refreshHealthSchema = z
	.object({
		refreshes: z.number().int(),
		failures: failureCounts,
		successRate: z.number().nullable(),
	})
	.openapi("AdminRefreshHealth");

export const adminProviderSchema = z
	.object({
		id: z.string(),
		type: z.string(),
		displayName: z.string(),
		accounts: z.object({
			active: z.number().int(),
			reauthRequired: z.number().int(),
		}),
		lastHour: refreshHealthSchema,
		lastDay: refreshHealthSchema,
		circuit: z.object({ open: z.boolean(), openUntil: isoTime.nullable() }),
		lastFailure: z
			.object({
				at: isoTime,
				kind: z.string().nullable(),
				error: z.string().nullable(),
				status: z.number().int().nullable(),
			})
			.nullable(),
	})
	.openapi("AdminProvider");

export const adminUserSchema = z
	.object({
		id: z.string(),
		externalId: z.string().nullable(),
		email: z.string().nullable(),
		displayName: z.string().nullable(),
		createdAt: isoTime,
		accountCount: z.number().int(),
	})
	.openapi("AdminUser");

export const adminAccountSchema = z
	.object({
		provider: z.string(),
		providerAccountId: z.string(),
		userId: z.string(),
		email: z.string().nullable(),
		displayName: z.string().nullable(),
		scopes: z.array(z.string()),
		status: z.enum(["active", "reauth_required"]),
		accessTokenExpiresAt: isoTime.nullable(),
		hasRefreshToken: z.boolean(),
		lastRefreshAt: isoTime.nullable(),
		lastUsedAt: isoTime.nullable(),
		lastRefreshError: z
			.object({
				kind: z.string().nullable(),
				error: z.string().nullable(),
				status: z.number().int().nullable(),
				at: isoTime.nullable(),
				retryAt: isoTime.nullable(),
			})
			.nullable(),
		createdAt: isoTime,
		updatedAt: isoTime,
	})
	.openapi("AdminAccount");

export const adminUserDetailSchema = z
	.object({ user: adminUserSchema, accounts: z.array(adminAccountSchema) })
	.openapi("AdminUserDetail");

export const adminAuditEventSchema = z
	.object({
		id: z.string(),
		at: isoTime,
		kind: z.string().openapi({
			description:
				"token.read, token.refresh, token.refresh_failed, account.linked, account.unlinked, account.reauth_required, account.refresh_forced, revocation.done, revocation.failed, webhook.replayed",
		}),
		userId: z.string().nullable(),
		provider: z.string().nullable(),
		providerAccountId: z.string().nullable(),
		reason: z.string().nullable(),
		count: z.number().int(),
		detail: z.record(z.string(), z.unknown()),
	})
	.openapi("AdminAuditEvent");

export const adminStatsSchema = z
	.object({
		since: isoTime,
		until: isoTime,
		bucketSeconds: z.number().int(),
		provider: z.string().nullable(),
		buckets: z.array(
			z.object({
				start: isoTime,
				counts: z.record(z.string(), z.number().int()),
				refreshFailures: failureCounts,
			}),
		),
	})
	.openapi("AdminStats");

export const adminEventSchema = z
	.object({
		id: z.string(),
		type: z.string(),
		payload: z.record(z.string(), z.unknown()),
		attempts: z.number().int(),
		nextAttemptAt: isoTime,
		deliveredAt: isoTime.nullable(),
		lastError: z.string().nullable(),
		createdAt: isoTime,
	})
	.openapi("AdminEvent");

export const adminForceRefreshSchema = z
	.object({ refreshed: z.boolean(), account: adminAccountSchema })
	.openapi("AdminForceRefresh");

/** `{ items, nextCursor }`. */
export function pageOf<T extends z.ZodType>(item: T) {
	return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const limitQuery = z.coerce
	.number()
	.int()
	.min(1)
	.max(200)
	.default(50)
	.openapi({ type: "integer", description: "Page size, 1–200 (default 50)" });

export const cursorQuery = z
	.string()
	.max(300)
	.optional()
	.openapi({ description: "The nextCursor of the previous page" });
