/**
 * The console's door: GET /console answers the one-page console (console.html, a Text module
 * bundled with the Worker, so the same bytes serve under the vitest plugin, `npm start` and a
 * deploy, with no assets binding). The page calls the /v1 API with the token the user signs in
 * with; this door itself holds no token and no state.
 */
import { consoleRoute } from "../../contract/routes.ts";
import page from "./console.html";

/** CSP: the page's own inline script and style, and API calls to this origin only. */
const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
};

/** The console's answer to a request for its path: the page on GET, else 405 (a JSON error body). */
export function consoleResponse(req: Request): Response {
  if (req.method === "GET" || req.method === "HEAD") return new Response(req.method === "GET" ? page : null, { headers: HEADERS });
  return Response.json(
    { error_code: 42, error: "INVALID_REQUEST", message: `${req.method} is not allowed on ${consoleRoute.path}; allowed: GET`, retriable: false },
    { status: 405, headers: { allow: "GET" } },
  );
}

/** The path the console door serves (the contract's). */
export const CONSOLE_PATH = consoleRoute.path;
