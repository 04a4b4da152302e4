// Signed URLs of a disk storage: an HMAC-SHA256 over method, object name, expiry and Content-Type, so that a URL
// works for one object, one method and one Content-Type until it expires. The query names are the service's
// (Expires, Signature, response-content-type), so that tools which read or redact them treat these alike.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface SignedRequest {
  method: "GET" | "PUT";
  name: string;
  /** Unix seconds. */
  expires: number;
  /** GET: the Content-Type served; PUT: the Content-Type the upload must send. */
  contentType: string;
}

/** The query of a signed URL: Expires, response-content-type (GET) and Signature. */
export function signedQuery(secret: string, request: SignedRequest): string {
  const query = new URLSearchParams({ Expires: String(request.expires) });
  if (request.method === "GET") query.set("response-content-type", request.contentType);
  query.set("Signature", signature(secret, request));
  // URLSearchParams writes spaces as "+", which a reader could take for a literal "+": use %20.
  return query.toString().replace(/\+/g, "%20");
}

/** Why a request does not carry a valid signature, as the service's error code and message; undefined when it does. */
export function checkSignature(
  secret: string,
  query: URLSearchParams,
  request: { method: "GET" | "PUT"; name: string; contentType: string },
  nowSeconds: number,
): { code: "AccessDenied" | "SignatureDoesNotMatch"; message: string } | undefined {
  const given = query.get("Signature");
  const expiresText = query.get("Expires");
  if (given === null || expiresText === null) return { code: "AccessDenied", message: "This object can only be reached with a signed URL." };
  const expires = Number(expiresText);
  if (!/^\d+$/.test(expiresText) || !Number.isSafeInteger(expires)) return { code: "AccessDenied", message: "The Expires parameter is not a number of seconds." };
  if (expires < nowSeconds) return { code: "AccessDenied", message: "Request has expired." };
  const expected = Buffer.from(signature(secret, { ...request, expires }));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return {
      code: "SignatureDoesNotMatch",
      message:
        request.method === "PUT"
          ? "The request signature does not match: the URL was changed, or the Content-Type is not the one it was signed for."
          : "The request signature does not match: the URL was changed after it was signed.",
    };
  }
  return undefined;
}

function signature(secret: string, request: SignedRequest): string {
  const text = [request.method, request.name, String(request.expires), request.contentType].join("\n");
  return createHmac("sha256", secret).update(text, "utf8").digest("base64url");
}
