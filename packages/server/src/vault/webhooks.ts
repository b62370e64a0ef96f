import { createHmac } from "node:crypto";
import { sendRequest } from "@tether/oauth";
import type { WebhookConfig } from "../config/schema.ts";
import type { EventRow } from "../store/index.ts";
import { startBackgroundLoop } from "./background-loop.ts";
import type { VaultDeps } from "./deps.ts";

const pollMs = 1_000;
const batchSize = 20;
const claimMs = 60_000;
const deliveryTimeoutMs = 10_000;
/** 12 to 23 hours of retries with the backoff below, then the event is left undelivered. */
const maxAttempts = 16;

function backoffMs(attempts: number): number {
	const base = Math.min(
		6 * 60 * 60 * 1000,
		5_000 * 2 ** Math.max(0, attempts - 1),
	);
	return Math.floor(base / 2 + Math.random() * (base / 2));
}

/**
 * The Standard Webhooks signature: HMAC-SHA256 over `id.timestamp.body` with the secret's
 * base64-decoded key, sent as `v1,<base64>`. Receivers verify with any Standard Webhooks library.
 */
export function signWebhook(input: {
	secret: string;
	id: string;
	timestamp: number;
	body: string;
}): string {
	const key = Buffer.from(input.secret.slice("whsec_".length), "base64");
	const mac = createHmac("sha256", key)
		.update(`${input.id}.${input.timestamp}.${input.body}`)
		.digest("base64");
	return `v1,${mac}`;
}

async function deliver(
	deps: VaultDeps,
	hook: WebhookConfig,
	event: EventRow,
): Promise<string | null> {
	const timestamp = Math.floor(deps.now() / 1000);
	const body = JSON.stringify({
		type: event.type,
		timestamp: new Date(event.createdAt).toISOString(),
		data: event.payload,
	});
	const request = new Request(hook.url, {
		method: "POST",
		headers: {
			"content-type": "application/json",
			"webhook-id": event.id,
			"webhook-timestamp": String(timestamp),
			"webhook-signature": signWebhook({
				secret: hook.secret,
				id: event.id,
				timestamp,
				body,
			}),
		},
		body,
		redirect: "manual",
	});
	const outcome = await sendRequest(request, {
		fetch: deps.fetch,
		timeoutMs: deliveryTimeoutMs,
	});
	if (!outcome.ok) return outcome.reason;
	return outcome.response.status >= 200 && outcome.response.status < 300
		? null
		: `status_${outcome.response.status}`;
}

/**
 * Delivers the event outbox. Events are written in the same transaction as the change they
 * describe, so none is lost; delivery is at least once (receivers dedupe on `webhook-id`), claimed
 * through the database so several processes share the work, retried with backoff.
 */
export function createWebhookWorker(
	deps: VaultDeps,
	options: { background: boolean },
) {
	const hooks = deps.config.webhooks;
	async function runOnce(): Promise<number> {
		const now = deps.now();
		const events = await deps.store.claimEvents({
			now,
			limit: batchSize,
			claimUntil: now + claimMs,
		});
		let delivered = 0;
		for (const event of events) {
			const targets = hooks.filter(
				(hook) => hook.events === undefined || hook.events.includes(event.type),
			);
			const failures: string[] = [];
			for (const hook of targets) {
				const failure = await deliver(deps, hook, event).catch(
					(error: unknown) => (error instanceof Error ? error.name : "error"),
				);
				if (failure !== null) failures.push(failure);
			}
			if (failures.length === 0 || event.attempts >= maxAttempts) {
				await deps.store.markEventDelivered(event.id, deps.now());
				if (failures.length > 0)
					deps.logger.error(
						{ event: event.id, type: event.type },
						"webhook given up",
					);
				else delivered++;
				continue;
			}
			deps.logger.warn(
				{ event: event.id, type: event.type, failures },
				"webhook delivery failed; will retry",
			);
			await deps.store.rescheduleEvent(
				event.id,
				deps.now() + backoffMs(event.attempts),
				failures.join(","),
			);
		}
		return delivered;
	}

	return startBackgroundLoop({
		name: "webhook delivery",
		enabled: options.background,
		delayMs: () => pollMs + Math.random() * 250,
		pass: runOnce,
		logger: deps.logger,
	});
}
