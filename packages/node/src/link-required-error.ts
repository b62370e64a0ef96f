import type { AccessTokenUnavailableReason } from "@tether/api";
import { OAuthAccessTokenNotAvailable } from "@tether/client";

/**
 * `getOrLinkConnectedAccount` on the backend: no account carries the scopes, and a backend
 * cannot open a browser. `url` is a ready link-intent URL (one-time, five minutes) for this
 * user; send the user there. It is an `OAuthAccessTokenNotAvailable`, so code that already
 * handles that error handles this one.
 */
export class LinkRequiredError extends OAuthAccessTokenNotAvailable {
	override readonly name: string = "LinkRequiredError";
	readonly url: string;

	constructor(input: {
		url: string;
		provider: string;
		reason: AccessTokenUnavailableReason;
		missingScopes: string[];
	}) {
		super(
			`Linking "${input.provider}" is required; send the user to the link URL.`,
			{
				reason: input.reason,
				missingScopes: input.missingScopes,
				provider: input.provider,
			},
		);
		this.url = input.url;
	}
}
