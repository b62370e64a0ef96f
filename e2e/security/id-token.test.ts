import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { exportJWK, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
	itLeavesNoSecrets,
	newBrowser,
	signIn,
	signinUrl,
} from "./support/flows.ts";
import { appUrl, useSecurityTether } from "./support/security-tether.ts";

const b64 = (value: unknown) =>
	Buffer.from(JSON.stringify(value)).toString("base64url");
const parts = (token: string) => {
	const [header = "", payload = "", signature = ""] = token.split(".");
	return {
		header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")),
		payload: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")),
		raw: { header, payload, signature },
	};
};
const forgedSub = "idt-forged-victim";

/**
 * ID-token tampering by a man in the middle on the token endpoint (the tapping proxy in front of
 * the real upstream rewrites its answer): whatever the forgery, the sign-in must end in
 * `error=invalid_identity`, with no code for the app and no account stored for the forged subject.
 */
describe("ID-token tampering, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-id-token" });
	let upstreamKid: string;
	let upstreamPublicPem: string;
	beforeAll(async () => {
		const jwks = (await (
			await fetch(tether().upstream.endpoints.jwksUri)
		).json()) as { keys: { kid: string; [field: string]: unknown }[] };
		const key = jwks.keys[0];
		if (key === undefined) throw new Error("upstream has no keys");
		upstreamKid = key.kid;
		upstreamPublicPem = createPublicKey({ key, format: "jwk" })
			.export({ type: "spki", format: "pem" })
			.toString();
	});

	const attackerKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });

	/** The claims of the real token, with the subject swapped for the victim's. */
	const victimClaims = (token: string) => ({
		...parts(token).payload,
		sub: forgedSub,
	});

	const forgeries: [string, (idToken: string) => Promise<string> | string][] = [
		[
			"a flipped signature byte",
			(token) => {
				const { raw } = parts(token);
				const flipped = raw.signature.startsWith("A") ? "B" : "A";
				return `${raw.header}.${raw.payload}.${flipped}${raw.signature.slice(1)}`;
			},
		],
		[
			"a swapped subject under the original signature",
			(token) => {
				const { raw } = parts(token);
				return `${raw.header}.${b64(victimClaims(token))}.${raw.signature}`;
			},
		],
		[
			"alg none",
			(token) =>
				`${b64({ alg: "none", typ: "JWT" })}.${b64(victimClaims(token))}.`,
		],
		[
			"alg none with the original signature kept",
			(token) =>
				`${b64({ alg: "none" })}.${b64(victimClaims(token))}.${parts(token).raw.signature}`,
		],
		[
			"the attacker's RSA key under the provider's kid",
			(token) =>
				new SignJWT(victimClaims(token))
					.setProtectedHeader({ alg: "RS256", kid: upstreamKid })
					.sign(attackerKeys.privateKey),
		],
		[
			"HS256 keyed with the provider's public key (algorithm confusion)",
			(token) =>
				new SignJWT(victimClaims(token))
					.setProtectedHeader({ alg: "HS256", kid: upstreamKid })
					.sign(new TextEncoder().encode(upstreamPublicPem)),
		],
		[
			"the attacker's key embedded in the header (jwk)",
			async (token) =>
				new SignJWT(victimClaims(token))
					.setProtectedHeader({
						alg: "RS256",
						jwk: await exportJWK(attackerKeys.publicKey),
					})
					.sign(attackerKeys.privateKey),
		],
		[
			"a jku pointing at the attacker's keys",
			(token) =>
				new SignJWT(victimClaims(token))
					.setProtectedHeader({
						alg: "RS256",
						kid: "attacker",
						jku: "http://127.0.0.1:9/jwks",
					})
					.sign(attackerKeys.privateKey),
		],
		["no ID token at all", () => ""],
	];

	it.each(forgeries)("refuses an ID token with %s", async (_name, forge) => {
		const upstream = tether().upstreams.upstream;
		if (upstream === undefined) throw new Error("no upstream");
		// The tap rewrites synchronously, so each forgery is built from an honest token of an
		// earlier sign-in (same claims shape, same issuer, audience and key id).
		const template = await honestIdToken();
		const forged = await forge(template);
		tether().ledger.add("id token", forged);
		upstream.tamper = (answer) => {
			const { id_token: _dropped, ...rest } = answer;
			return forged === "" ? rest : { ...answer, id_token: forged };
		};
		let landed: URL;
		try {
			landed = await newBrowser(tether()).follow(signinUrl(tether()), {
				account: "idt-attacker",
			});
		} finally {
			upstream.tamper = undefined;
		}
		expect(`${landed.origin}${landed.pathname}`).toBe(appUrl);
		expect(landed.searchParams.get("code")).toBeNull();
		expect(landed.searchParams.get("error")).toBe("invalid_identity");
		expect(
			await tether().store.findConnectedAccount("upstream", forgedSub),
		).toBeNull();
	});

	it("refuses a genuine ID token replayed from another sign-in (nonce): no session as its subject", async () => {
		const upstream = tether().upstreams.upstream;
		if (upstream === undefined) throw new Error("no upstream");
		const victims = await signIn(tether(), "idt-replayed-victim");
		const victimToken = lastIdToken();
		expect(parts(victimToken).payload.sub).toBe("idt-replayed-victim");
		upstream.tamper = (answer) => ({ ...answer, id_token: victimToken });
		let landed: URL;
		try {
			landed = await newBrowser(tether()).follow(signinUrl(tether()), {
				account: "idt-replayer",
			});
		} finally {
			upstream.tamper = undefined;
		}
		expect(landed.searchParams.get("code")).toBeNull();
		expect(landed.searchParams.get("error")).toBe("invalid_identity");
		expect(
			await tether().store.findConnectedAccount("upstream", "idt-replayer"),
		).toBeNull();
		expect(victims.user.connectedAccounts).toHaveLength(1);
	});

	it("still signs in with the untouched token (the refusals are about the tampering)", async () => {
		const session = await signIn(tether(), "idt-honest");
		expect(session.user.connectedAccounts[0]?.providerAccountId).toBe(
			"idt-honest",
		);
	});

	/** The ID token of the most recent authorization-code answer the upstream gave. */
	function lastIdToken(): string {
		const exchanges = tether().upstreams.upstream?.exchanges ?? [];
		for (let i = exchanges.length - 1; i >= 0; i--) {
			const exchange = exchanges[i];
			if (
				new URLSearchParams(exchange?.requestBody).get("grant_type") !==
				"authorization_code"
			)
				continue;
			const id = JSON.parse(exchange?.answer ?? "{}").id_token;
			if (typeof id === "string") return id;
		}
		throw new Error("no ID token seen yet");
	}

	async function honestIdToken(): Promise<string> {
		await signIn(tether(), "idt-template");
		return lastIdToken();
	}

	itLeavesNoSecrets(tether);
});
