import type { IncomingMessage, ServerResponse } from "node:http";
import type Provider from "oidc-provider";
import type { InteractionDetails } from "oidc-provider";
import { developmentEmailDomain, normaliseAccountId } from "./account.ts";
import { FormError, readForm, sendHtml } from "./http.ts";
import { consentPage, loginPage } from "./pages.ts";
import { developmentScopeNames } from "./scopes.ts";

/** The pages' routes, relative to the mount: the page itself and the two form targets. */
const interactionRoute =
	/^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|consent))?$/;

export interface InteractionRoute {
	uid: string;
	step: "page" | "login" | "consent";
}

export function matchInteraction(path: string): InteractionRoute | undefined {
	const match = interactionRoute.exec(path);
	if (match?.[1] === undefined) return undefined;
	const step = match[2];
	return {
		uid: match[1],
		step: step === "login" || step === "consent" ? step : "page",
	};
}

function text(value: unknown): string | undefined {
	return typeof value === "string" && value !== "" ? value : undefined;
}

function textList(value: unknown): string[] {
	return Array.isArray(value)
		? value.filter((item): item is string => typeof item === "string")
		: [];
}

/**
 * The scopes the consent page decides on: all the request asks for (as oidc-provider kept
 * them), not only those missing from an earlier grant, so the page always shows the whole
 * request. Tether asks for everything again when it wants more.
 */
function requestedScopes(details: InteractionDetails): string[] {
	const asked = new Set((text(details.params.scope) ?? "").split(" "));
	return developmentScopeNames.filter((scope) => asked.has(scope));
}

/** The name to prefill: the `login_hint` (Tether sends the account's email), else the last name. */
function prefilledName(details: InteractionDetails): string | undefined {
	const hint = text(details.params.login_hint);
	if (hint !== undefined) {
		const suffix = `@${developmentEmailDomain}`;
		return hint.endsWith(suffix) ? hint.slice(0, -suffix.length) : hint;
	}
	return details.session?.accountId;
}

/**
 * The interaction the browser's cookie names, checked against the uid in the URL. The cookie
 * is SameSite=Lax, so a form posted from another site arrives without it: that binding is the
 * forms' CSRF protection.
 */
async function interactionFor(
	provider: Provider,
	route: InteractionRoute,
	req: IncomingMessage,
	res: ServerResponse,
): Promise<InteractionDetails> {
	const details = await provider.interactionDetails(req, res);
	if (details.uid !== route.uid) {
		throw new FormError(
			400,
			"This page belongs to another sign-in than the one this browser is in.",
		);
	}
	return details;
}

/** The page for the step the interaction is at: the login form or the consent screen. */
async function showPage(
	provider: Provider,
	mountPath: string,
	route: InteractionRoute,
	req: IncomingMessage,
	res: ServerResponse,
): Promise<void> {
	const details = await interactionFor(provider, route, req, res);
	const base = `${mountPath}/interaction/${route.uid}`;
	if (details.prompt.name === "login") {
		const name = prefilledName(details);
		sendHtml(
			res,
			200,
			loginPage({
				action: `${base}/login`,
				...(name === undefined ? {} : { name }),
			}),
		);
		return;
	}
	if (details.prompt.name === "consent" && details.session !== undefined) {
		sendHtml(
			res,
			200,
			consentPage({
				action: `${base}/consent`,
				accountId: details.session.accountId,
				clientId: text(details.params.client_id) ?? "the app",
				scopes: requestedScopes(details),
			}),
		);
		return;
	}
	throw new FormError(
		400,
		`This sign-in is waiting for a step this provider does not offer ("${details.prompt.name}").`,
	);
}

async function submitLogin(
	provider: Provider,
	mountPath: string,
	route: InteractionRoute,
	req: IncomingMessage,
	res: ServerResponse,
): Promise<void> {
	const form = await readForm(req);
	const details = await interactionFor(provider, route, req, res);
	if (details.prompt.name !== "login") {
		throw new FormError(400, "This sign-in is already past the login step.");
	}
	const typed = form.get("name") ?? "";
	const accountId = normaliseAccountId(typed);
	if (accountId === undefined) {
		sendHtml(
			res,
			400,
			loginPage({
				action: `${mountPath}/interaction/${route.uid}/login`,
				name: typed,
				error: "Type a name with at least one letter or digit.",
			}),
		);
		return;
	}
	if (
		details.session !== undefined &&
		details.session.accountId !== accountId
	) {
		// Another name than the one this browser is signed in with. oidc-provider would first
		// send the browser through its logout pages; at a development provider there is
		// nothing that step protects, so the old session simply ends here.
		await (await provider.Session.findByUid(details.session.uid))?.destroy();
		delete details.session;
		await details.persist();
	}
	await provider.interactionFinished(
		req,
		res,
		{ login: { accountId } },
		{ mergeWithLastSubmission: false },
	);
}

async function submitConsent(
	provider: Provider,
	route: InteractionRoute,
	req: IncomingMessage,
	res: ServerResponse,
): Promise<void> {
	const form = await readForm(req);
	const details = await interactionFor(provider, route, req, res);
	const { prompt, params, session } = details;
	const clientId = text(params.client_id);
	if (
		prompt.name !== "consent" ||
		session === undefined ||
		clientId === undefined
	) {
		throw new FormError(400, "This sign-in is not at the consent step.");
	}

	const decision = form.get("decision");
	if (decision === "deny") {
		await provider.interactionFinished(
			req,
			res,
			{
				error: "access_denied",
				error_description: "The user denied the request.",
			},
			{ mergeWithLastSubmission: false },
		);
		return;
	}
	if (decision !== "approve") {
		throw new FormError(400, "Choose Approve or Deny.");
	}

	const ticked = new Set(form.getAll("scope"));
	const requested = requestedScopes(details);
	// `openid` is what makes this an OIDC flow; the page shows it fixed, and so it stays.
	const granted = requested.filter(
		(scope) => scope === "openid" || ticked.has(scope),
	);
	const refused = requested.filter((scope) => !granted.includes(scope));

	// A new grant each time, so what was ticked now is what the app gets, even for a scope
	// refused before (a rejection in a grant outweighs a later approval). What an earlier
	// grant holds beyond this request carries over.
	const found =
		details.grantId === undefined
			? undefined
			: await provider.Grant.find(details.grantId);
	const previous = found?.accountId === session.accountId ? found : undefined;
	const kept = (previous?.getOIDCScope() ?? "")
		.split(" ")
		.filter((scope) => scope !== "" && !requested.includes(scope));
	const grant = new provider.Grant({ accountId: session.accountId, clientId });
	grant.addOIDCScope([...kept, ...granted].join(" "));
	// Recorded refusals stop oidc-provider from asking again for the same scopes.
	if (refused.length > 0) grant.rejectOIDCScope(refused.join(" "));
	const claims = [
		...new Set([
			...(previous?.getOIDCClaims() ?? []),
			...textList(prompt.details.missingOIDCClaims),
		]),
	];
	if (claims.length > 0) grant.addOIDCClaims(claims);
	const grantId = await grant.save();

	await provider.interactionFinished(
		req,
		res,
		{ consent: { grantId } },
		{ mergeWithLastSubmission: true },
	);
}

/** Serves one interaction request; errors are the caller's to render. */
export async function handleInteraction(
	provider: Provider,
	mountPath: string,
	route: InteractionRoute,
	req: IncomingMessage,
	res: ServerResponse,
): Promise<void> {
	const expected = route.step === "page" ? "GET" : "POST";
	if (req.method !== expected) {
		res.setHeader("Allow", expected);
		throw new FormError(405, `This address only answers ${expected}.`);
	}
	if (route.step === "login")
		return submitLogin(provider, mountPath, route, req, res);
	if (route.step === "consent") return submitConsent(provider, route, req, res);
	return showPage(provider, mountPath, route, req, res);
}
