/** Reported by `/v1/healthz` and the OpenAPI description. */
export const version = "0.1.0";
