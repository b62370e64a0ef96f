import { apple } from "./apple.ts";
import { bitbucket } from "./bitbucket.ts";
import { discord } from "./discord.ts";
import { dropbox } from "./dropbox.ts";
import { facebook } from "./facebook.ts";
import { github } from "./github.ts";
import { gitlab } from "./gitlab.ts";
import { google } from "./google.ts";
import { linkedin } from "./linkedin.ts";
import { microsoft } from "./microsoft.ts";
import { notion } from "./notion.ts";
import { oauth2 } from "./oauth2.ts";
import { oidc } from "./oidc.ts";
import { slack } from "./slack.ts";
import { spotify } from "./spotify.ts";
import { twitch } from "./twitch.ts";
import type { CatalogEntry } from "./types.ts";
import { x } from "./x.ts";
import { zoom } from "./zoom.ts";

const entries = {
	google,
	github,
	microsoft,
	gitlab,
	discord,
	slack,
	spotify,
	twitch,
	linkedin,
	bitbucket,
	x,
	notion,
	dropbox,
	zoom,
	facebook,
	apple,
	oidc,
	oauth2,
};

/** A provider `type` the built-in catalog knows. */
export type CatalogType = keyof typeof entries;

/** The built-in provider catalog, by `type`. */
export const catalog: Readonly<Record<CatalogType, CatalogEntry>> =
	Object.freeze(entries);

/** Narrows a config's `type` to a catalog key; inherited keys (`toString`) never match. */
export function isCatalogType(type: string): type is CatalogType {
	return Object.hasOwn(catalog, type);
}

/** Every catalog `type`, in catalog order. */
export const catalogTypes: readonly CatalogType[] = Object.freeze(
	Object.keys(catalog).filter(isCatalogType),
);

/** The entry for a config's `type`, or undefined for a type the catalog does not know. */
export function getCatalogEntry(type: string): CatalogEntry | undefined {
	return isCatalogType(type) ? catalog[type] : undefined;
}

export { readStandardClaims } from "./profile-fields.ts";
export {
	buildProfileRequest,
	type ProfileRequestInput,
	readJsonAnswer,
} from "./profile-request.ts";
export { missingScopes, normalizeScopes, type ScopeInput } from "./scopes.ts";
export { withTokenQuirks } from "./token-quirks.ts";
export type { CatalogEntry, ProviderProfile } from "./types.ts";
