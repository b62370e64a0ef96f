export {
	type ConnectedAccountHandle,
	OAuthAccessTokenNotAvailable,
	ProviderUnavailableError,
	type Result,
	TetherClientError,
	type TetherUser,
} from "@tether/client";
export { LinkRequiredError } from "./link-required-error.ts";
export type { VerifiedSession } from "./session-verifier.ts";
export {
	type CompleteLinkInput,
	type CreateLinkUrlInput,
	createTetherServer,
	type TetherServer,
	type TetherServerOptions,
} from "./tether-server.ts";
export {
	verifyWebhook,
	type WebhookEvent,
	type WebhookHeaders,
} from "./webhooks.ts";
