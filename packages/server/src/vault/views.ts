import type { ConnectedAccount, User } from "@tether/api";
import type { ConnectedAccountRow, UserRow } from "../store/index.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** The public shape of an account: no tokens, no internal ids beyond what the reference exposes. */
export function toConnectedAccount(row: ConnectedAccountRow): ConnectedAccount {
	const view: ConnectedAccount = {
		id: row.providerConfigId,
		provider: row.providerConfigId,
		providerAccountId: row.providerAccountId,
		scopes: row.scopes,
		status: row.status,
		createdAt: iso(row.createdAt),
		updatedAt: iso(row.updatedAt),
	};
	if (row.email !== null) view.email = row.email;
	if (row.displayName !== null) view.displayName = row.displayName;
	return view;
}

export function toUser(row: UserRow, accounts: ConnectedAccountRow[]): User {
	const view: User = {
		id: row.id,
		createdAt: iso(row.createdAt),
		connectedAccounts: accounts.map(toConnectedAccount),
	};
	if (row.externalId !== null) view.externalId = row.externalId;
	if (row.email !== null) view.email = row.email;
	if (row.displayName !== null) view.displayName = row.displayName;
	return view;
}
