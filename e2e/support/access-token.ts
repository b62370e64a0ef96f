/** What one access-token call came back with; never throws for an HTTP answer. */
export interface TokenAnswer {
	/** Which Tether process was asked. */
	process: string;
	status: number;
	accessToken: string | undefined;
	/** Epoch ms, from the answer's `expiresAt`. */
	expiresAt: number | undefined;
	/** The error code of a non-200 answer. */
	code: string | undefined;
	ms: number;
}

function field(body: unknown, name: string): unknown {
	if (typeof body !== "object" || body === null) return undefined;
	const entry: [string, unknown] | undefined = Object.entries(body).find(
		([key]) => key === name,
	);
	return entry?.[1];
}

/** `POST /v1/connected-accounts/<user>/<provider>/<account>/access-token` with the secret key. */
export async function requestAccessToken(input: {
	process: { name: string; url: string };
	secretKey: string;
	userId: string;
	provider: string;
	providerAccountId: string;
	/** Aborts the call (e.g. `AbortSignal.timeout(ms)`); the fetch then rejects. */
	signal?: AbortSignal;
}): Promise<TokenAnswer> {
	const started = performance.now();
	const response = await fetch(
		`${input.process.url}/v1/connected-accounts/${encodeURIComponent(input.userId)}/${input.provider}/${encodeURIComponent(input.providerAccountId)}/access-token`,
		{
			method: "POST",
			headers: { authorization: `Bearer ${input.secretKey}` },
			...(input.signal === undefined ? {} : { signal: input.signal }),
		},
	);
	const text = await response.text();
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		body = text;
	}
	const accessToken = field(body, "accessToken");
	const expiresAt = field(body, "expiresAt");
	const code = field(body, "code");
	return {
		process: input.process.name,
		status: response.status,
		accessToken: typeof accessToken === "string" ? accessToken : undefined,
		expiresAt:
			typeof expiresAt === "string" ? Date.parse(expiresAt) : undefined,
		code: typeof code === "string" ? code : undefined,
		ms: performance.now() - started,
	};
}

/** A read of the connected account's `status` with the secret key. */
export async function accountStatus(input: {
	url: string;
	secretKey: string;
	userId: string;
	provider: string;
	providerAccountId: string;
}): Promise<unknown> {
	const response = await fetch(
		`${input.url}/v1/connected-accounts/${encodeURIComponent(input.userId)}/${input.provider}/${encodeURIComponent(input.providerAccountId)}`,
		{ headers: { authorization: `Bearer ${input.secretKey}` } },
	);
	return field(await response.json(), "status");
}
