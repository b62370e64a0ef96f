import type { IncomingMessage, ServerResponse } from "node:http";
import type Provider from "oidc-provider";
import { ACCOUNT_PARAM, GRANT_SCOPES_PARAM } from "./authorize.ts";

/** Who the headless login page signs in, when the request itself does not say. */
export interface NextLogin {
	account: string;
	grantScopes?: readonly string[];
}

export interface InteractionState {
	nextLogin: NextLogin;
	/** Grant ids made at consent, per account, so tests can revoke "the user's" grants. */
	grantsByAccount: Map<string, Set<string>>;
}

function stringValue(value: unknown): string | undefined {
	return typeof value === "string" && value !== "" ? value : undefined;
}

function stringList(value: unknown): string[] {
	return Array.isArray(value)
		? value.filter((item): item is string => typeof item === "string")
		: [];
}

/**
 * The login and consent "pages", finished without a human. The account comes from the
 * `account` query parameter (set by `authorize`), else the request's `login_hint`, else the
 * upstream's next-login setting; consent grants what was asked, minus what the caller says
 * the user unticked. A real browser following the redirects gets the same treatment.
 */
export async function handleInteraction(
	provider: Provider,
	state: InteractionState,
	req: IncomingMessage,
	res: ServerResponse,
): Promise<void> {
	const query = new URL(req.url ?? "/", "http://interaction.invalid")
		.searchParams;
	const details = await provider.interactionDetails(req, res);
	const { prompt, params, session } = details;

	if (prompt.name === "login") {
		const accountId =
			stringValue(query.get(ACCOUNT_PARAM)) ??
			stringValue(params.login_hint) ??
			state.nextLogin.account;
		await provider.interactionFinished(
			req,
			res,
			{ login: { accountId } },
			{ mergeWithLastSubmission: false },
		);
		return;
	}

	const clientId = stringValue(params.client_id);
	if (
		prompt.name !== "consent" ||
		session === undefined ||
		clientId === undefined
	) {
		throw new Error(`unexpected interaction prompt "${prompt.name}"`);
	}

	const fromQuery = query.get(GRANT_SCOPES_PARAM);
	const allowed =
		fromQuery !== null
			? new Set(fromQuery.split(" ").filter(Boolean))
			: state.nextLogin.grantScopes && new Set(state.nextLogin.grantScopes);
	const requested = stringList(prompt.details.missingOIDCScope);
	// `openid` is what makes this an OIDC flow; a user cannot untick it.
	const granted = requested.filter(
		(scope) =>
			allowed === undefined || scope === "openid" || allowed.has(scope),
	);
	const refused = requested.filter((scope) => !granted.includes(scope));

	const existing =
		details.grantId === undefined
			? undefined
			: await provider.Grant.find(details.grantId);
	const grant =
		existing ?? new provider.Grant({ accountId: session.accountId, clientId });
	if (granted.length > 0) grant.addOIDCScope(granted.join(" "));
	// Recording refusals stops oidc-provider from asking again for the same scopes.
	if (refused.length > 0) grant.rejectOIDCScope(refused.join(" "));
	const claims = stringList(prompt.details.missingOIDCClaims);
	if (claims.length > 0) grant.addOIDCClaims(claims);
	const grantId = await grant.save();

	const grants = state.grantsByAccount.get(session.accountId) ?? new Set();
	grants.add(grantId);
	state.grantsByAccount.set(session.accountId, grants);

	await provider.interactionFinished(
		req,
		res,
		{ consent: { grantId } },
		{ mergeWithLastSubmission: true },
	);
}
