import { ProviderUnavailableError, TetherClientError } from "./errors.ts";
import { isRecord } from "./parse.ts";
import { base64url } from "./pkce.ts";
import type { LinkDriver } from "./user.ts";

/** The parts of a popup window the client reads (`window.open`'s result satisfies it). */
export interface PopupLike {
	readonly closed: boolean;
	/** Throws while the popup is on another origin (the provider); readable once it is back. */
	readonly location: { readonly href: string };
	close(): void;
}

export type OpenPopup = (url: string) => PopupLike | null;
/** Sends the browser to `url` (default `location.assign`). */
export type Redirect = (url: string) => void | Promise<void>;

/**
 * Where a flow ended, as the app's `redirectTo` says: `linked=<provider>` with a one-time
 * `link_code` that the intent's owner still has to redeem, or `error=<reason>`.
 */
export type FlowOutcome =
	| { linked: string; linkCode: string | null }
	| { error: string };

/** The BroadcastChannel a popup's landing page announces its outcome on. */
export const linkChannelName = "tether-link";

/**
 * The query parameter that marks a `redirectTo` as a link popup's landing. Its value is a random
 * id of that one flow, so the page knows to hand the code to its opener instead of redeeming it,
 * and the opener ignores announcements of other tabs' popups.
 */
export const popupFlowParam = "tether_popup";

/** A fresh id for one popup flow. */
export function createPopupFlowId(): string {
	return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** `redirectTo` with the popup marker added (the allow-list only looks at origin and path). */
export function withPopupFlow(redirectTo: string, flow: string): string {
	const url = new URL(redirectTo);
	url.searchParams.set(popupFlowParam, flow);
	return url.toString();
}

export function defaultRedirect(): Redirect {
	return (url) => {
		if (typeof globalThis.location === "undefined")
			throw new TetherClientError(
				"INVALID_REQUEST",
				"No browser location to redirect; pass `redirect` to createTetherClient.",
				{ details: { field: "redirect" } },
			);
		globalThis.location.assign(url);
	};
}

export function defaultOpenPopup(): OpenPopup {
	return (url) =>
		typeof globalThis.open === "function"
			? globalThis.open(url, "tether-link", "popup,width=520,height=700")
			: null;
}

/** The outcome a landing URL carries (`linked` with its `link_code`, or `error`), if any. */
export function outcomeOfParams(params: URLSearchParams): FlowOutcome | null {
	const error = params.get("error");
	if (error !== null) return { error };
	const linked = params.get("linked");
	return linked === null ? null : { linked, linkCode: params.get("link_code") };
}

/**
 * The outcome a popup's URL carries, if it is this flow's landing (not the provider's page, and
 * not a landing marked for another popup flow).
 */
export function outcomeOf(
	href: string,
	redirectTo: string | undefined,
	flow?: string,
): FlowOutcome | null {
	let url: URL;
	try {
		url = new URL(href);
	} catch {
		return null;
	}
	if (redirectTo !== undefined) {
		const target = new URL(redirectTo);
		if (
			url.origin !== target.origin ||
			!url.pathname.startsWith(target.pathname)
		)
			return null;
	}
	const marker = url.searchParams.get(popupFlowParam);
	if (flow !== undefined && marker !== null && marker !== flow) return null;
	return outcomeOfParams(url.searchParams);
}

/** The error for a flow that came back with `error=…` (Tether's or the provider's words). */
export function flowError(error: string): TetherClientError {
	if (error === "ACCOUNT_ALREADY_LINKED")
		return new TetherClientError(
			"ACCOUNT_ALREADY_LINKED",
			"That provider account is already linked to another user.",
		);
	if (error === "temporarily_unavailable")
		return new ProviderUnavailableError(
			"The provider did not answer; try again.",
			{ retryAfterSeconds: 30 },
		);
	return new TetherClientError(
		"INVALID_REQUEST",
		`The provider flow ended with "${error}".`,
		{ details: { reason: error } },
	);
}

/** A landing that says `linked` but carries no code to redeem: nothing was linked. */
export function missingLinkCode(provider: string): TetherClientError {
	return new TetherClientError(
		"INVALID_REQUEST",
		"The link flow came back without a link_code to redeem.",
		{ details: { reason: "missing_link_code", provider } },
	);
}

/** An announcement of this popup flow, or null (another tab's flow, or not ours at all). */
function announcedOutcome(value: unknown, flow: string): FlowOutcome | null {
	if (!isRecord(value) || value.flow !== flow) return null;
	if (typeof value.linked === "string")
		return {
			linked: value.linked,
			linkCode: typeof value.linkCode === "string" ? value.linkCode : null,
		};
	if (typeof value.error === "string") return { error: value.error };
	return null;
}

/**
 * Tells the window that opened this one how its link flow ended, including the `link_code`: the
 * opener redeems it, this page does not. `handleRedirectCallback` calls it on a landing marked
 * as a popup's; the opener may also have read the popup's URL, and completes only once.
 */
export function announceToOpener(flow: string, outcome: FlowOutcome): void {
	if (typeof BroadcastChannel !== "function") return;
	const channel = new BroadcastChannel(linkChannelName);
	channel.postMessage({ flow, ...outcome });
	channel.close();
}

/**
 * Link flows in a browser. Redirect: navigate and never resolve (the page is leaving; the landing
 * page's `handleRedirectCallback` redeems the code). Popup: open the link URL in a popup and
 * resolve with the landing's `link_code` when the popup is back on `redirectTo` — noticed by
 * polling `popup.location` (readable once the popup is back on the app's origin) or by the
 * landing page's `handleRedirectCallback()` announcing it on a `BroadcastChannel`, whichever comes
 * first; the other is ignored. The caller redeems the code. A popup closed before either is a
 * cancellation.
 */
export function createBrowserLinkDriver(input: {
	redirect: Redirect;
	openPopup: OpenPopup;
	pollMs?: number;
	timeoutMs?: number;
}): LinkDriver {
	const pollMs = input.pollMs ?? 250;
	const timeoutMs = input.timeoutMs ?? 10 * 60_000;
	return async (request) => {
		if (request.mode === "redirect") {
			await input.redirect(request.url);
			return new Promise<never>(() => {});
		}
		const popup = input.openPopup(request.url);
		if (popup === null)
			throw new TetherClientError(
				"INVALID_REQUEST",
				"The browser blocked the link popup; call this from a click handler, or use redirect mode.",
				{ details: { reason: "popup_blocked" } },
			);
		const { popupFlow } = request;
		const outcome = await new Promise<FlowOutcome>((resolve, reject) => {
			const channel =
				typeof BroadcastChannel === "function" && popupFlow !== undefined
					? new BroadcastChannel(linkChannelName)
					: null;
			const startedAt = Date.now();
			let settled = false;
			const finish = (result: FlowOutcome | TetherClientError) => {
				// The poll and the announcement may both arrive: the first one wins.
				if (settled) return;
				settled = true;
				clearInterval(poll);
				channel?.close();
				try {
					popup.close();
				} catch {
					// Already gone.
				}
				if (result instanceof TetherClientError) reject(result);
				else resolve(result);
			};
			const readPopup = (): FlowOutcome | null => {
				try {
					return outcomeOf(popup.location.href, request.redirectTo, popupFlow);
				} catch {
					return null; // Still on the provider's (or Tether's) origin.
				}
			};
			const poll = setInterval(() => {
				const landed = readPopup();
				if (landed !== null) return finish(landed);
				if (popup.closed)
					return finish(
						new TetherClientError(
							"INVALID_REQUEST",
							"The link popup was closed before linking finished.",
							{ details: { reason: "popup_closed" } },
						),
					);
				if (Date.now() - startedAt > timeoutMs)
					finish(
						new TetherClientError(
							"INVALID_REQUEST",
							"Linking did not finish in time.",
							{ details: { reason: "popup_timeout" } },
						),
					);
			}, pollMs);
			if (channel !== null && popupFlow !== undefined)
				channel.onmessage = (event: MessageEvent) => {
					const announced = announcedOutcome(event.data, popupFlow);
					if (announced !== null) finish(announced);
				};
		});
		if ("error" in outcome) throw flowError(outcome.error);
		if (outcome.linkCode === null) throw missingLinkCode(outcome.linked);
		return { linkCode: outcome.linkCode };
	};
}
