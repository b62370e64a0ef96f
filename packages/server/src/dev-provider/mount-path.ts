/** Where the development provider lives on Tether's own port: its issuer is `<baseUrl>/dev-oidc`. */
export const developmentProviderPath = "/dev-oidc";

export function developmentProviderIssuer(baseUrl: string): string {
	return `${baseUrl.replace(/\/+$/, "")}${developmentProviderPath}`;
}
