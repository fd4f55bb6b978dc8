// An OpenID Connect issuer for Loupe's tests: oauth2-mock-server's issuer and
// request handler (discovery, /jwks, /token, ...) on 127.0.0.1, plus a few
// control routes under /_test/ that the Go test kit (oidctest.go) calls:
//
//   POST /_test/token   {claims}          -> {"id_token"}: an ID token signed with the
//                                           current key; claims are merged over iss, iat,
//                                           nbf and exp (1 h), and a null claim is removed
//   POST /_test/rotate                    -> {"kid"}: adds a new RS256 key and signs with it
//                                           from now on (here and at /token); the old keys
//                                           stay in the JWKS
//   POST /_test/drop-old-keys             -> {"kid"}: removes every key but the current one
//                                           from the JWKS
//   POST /_test/down, POST /_test/up      -> {}: while down, every other route answers 503
//   POST /_test/sign-in-as {claims}       -> {}: the person who signs in at /authorize from
//                                           now on; see "The code flow" below
//   POST /_test/flow                      -> {"authorizations", "exchanges"}: the code flow
//                                           so far, in order; see below
//
// The code flow. oauth2-mock-server's GET /authorize shows no login page: it
// redirects to redirect_uri at once with a fresh code (and the state), and
// keeps the request's nonce and PKCE code_challenge for that code. Its POST
// /token then puts the nonce in the ID token, sets aud to the request's
// client_id and sub to "johndoe", and checks S256/plain(code_verifier)
// against the challenge, but only when the request carries a code_verifier;
// it does not check that the code was issued, is used once, or goes with the
// same client_id and redirect_uri. This server adds what a real provider
// does, for grant_type=authorization_code (other grants are the mock's):
//
//   - the claims of the person signed in when the code was issued (POST
//     /_test/sign-in-as; none before the first call) are merged over the
//     code's tokens, a null claim removed: Loupe needs email and
//     email_verified in the ID token;
//   - the token request is refused, 400 {"error": "invalid_grant",
//     "error_description"}, unless its code was issued by /authorize and not
//     presented before (a refused attempt uses it up too), its client_id and
//     redirect_uri are the authorization request's, that request had a
//     code_challenge with code_challenge_method S256, and
//     BASE64URL(SHA-256(code_verifier)) equals the challenge.
//
// (The mock's own check comes first: a request with a code_verifier for a
// code it holds no challenge for, or that does not match, is refused by it,
// 400 {"error": "invalid_request"}.)
//
// POST /_test/flow answers every authorization request that got a code, as
// {code, response_type, client_id, redirect_uri, scope, state, nonce,
// code_challenge, code_challenge_method, claims} (claims: who signed in, null
// for nobody), and every authorization_code token request, as {code, status,
// error} (error "" when a token was issued, "oauth2-mock-server: ..." when
// the mock refused it itself).
//
// Every answer carries Access-Control-Allow-Origin: *, as the mock's own
// routes do (a browser reads discovery and the token endpoint).
//
// Usage: node server.mjs PORT
import { createHash } from 'node:crypto';
import http from 'node:http';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node server.mjs PORT');
  process.exit(2);
}

const issuer = new OAuth2Issuer();
issuer.url = `http://127.0.0.1:${port}`;
const service = new OAuth2Service(issuer);

let current = (await issuer.keys.generate('RS256')).kid;
const dropped = new Set(); // kids left out of the JWKS
let down = false;

// The mock's own routes (/token) sign with the current key too, not the
// keystore's round robin.
const keyOf = issuer.keys.get.bind(issuer.keys);
issuer.keys.get = (kid) => keyOf(kid ?? current);

// The code flow (see the top of the file).
let person = null; // claims of who signs in at /authorize, null for nobody
const authorizations = []; // in order
const byCode = new Map(); // code -> {authorization, used}
const exchanges = []; // authorization_code token requests, in order
const refusals = new WeakMap(); // token request -> why this server refused it

function merge(payload, claims) {
  for (const [name, value] of Object.entries(claims)) {
    if (value === null) delete payload[name];
    else payload[name] = value;
  }
}

const str = (v) => (typeof v === 'string' ? v : '');

service.on('beforeAuthorizeRedirect', (redirect, req) => {
  const code = redirect.url.searchParams.get('code');
  if (code === null) return; // an error redirect
  const q = req.query;
  const authorization = {
    code,
    response_type: str(q.response_type),
    client_id: str(q.client_id),
    redirect_uri: str(q.redirect_uri),
    scope: str(q.scope),
    state: str(q.state),
    nonce: str(q.nonce),
    code_challenge: str(q.code_challenge),
    code_challenge_method: str(q.code_challenge_method),
    claims: person === null ? null : { ...person },
  };
  authorizations.push(authorization);
  byCode.set(code, { authorization, used: false });
});

service.on('beforeTokenSigning', (token, req) => {
  if (req.body.grant_type !== 'authorization_code') return;
  const claims = byCode.get(req.body.code)?.authorization.claims;
  if (claims) merge(token.payload, claims);
});

// basicUser returns the user of an Authorization: Basic header (a
// confidential client's id), undefined without one.
function basicUser(req) {
  const m = /^basic +([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization || '');
  if (m === null) return undefined;
  const pair = Buffer.from(m[1], 'base64').toString();
  const colon = pair.indexOf(':');
  return colon < 0 ? undefined : pair.slice(0, colon);
}

// refusal returns why a code token request must be refused, '' when it may
// have its tokens, and uses its code up.
function refusal(body, req) {
  const issued = byCode.get(body.code);
  if (issued === undefined) return 'code was not issued by /authorize';
  if (issued.used) return 'code already used';
  issued.used = true;
  const a = issued.authorization;
  const clientID = basicUser(req) ?? body.client_id;
  if (clientID !== a.client_id) return 'client_id is not the authorization request\'s';
  if (body.redirect_uri !== a.redirect_uri) return 'redirect_uri is not the authorization request\'s';
  if (a.code_challenge === '') return 'the authorization request had no code_challenge';
  if (a.code_challenge_method !== 'S256') return 'code_challenge_method was not S256';
  if (typeof body.code_verifier !== 'string' || body.code_verifier === '') return 'code_verifier is missing';
  if (createHash('sha256').update(body.code_verifier).digest('base64url') !== a.code_challenge) {
    return 'code_verifier does not match code_challenge';
  }
  return '';
}

service.on('beforeResponse', (response, req) => {
  if (req.body.grant_type !== 'authorization_code') return;
  const why = refusal(req.body, req);
  if (why === '') return;
  refusals.set(req, why);
  response.statusCode = 400;
  response.body = { error: 'invalid_grant', error_description: why };
});

// recordExchanges records the POST /token request req once res is sent, if
// it is of the code flow, whoever refused it: this server, or the mock itself
// (before beforeResponse) when a code_verifier is sent for a code it holds no
// challenge for (not issued, or presented before) or does not match.
function recordExchanges(req, res) {
  let answer = '';
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = (chunk, ...rest) => {
    if (chunk) answer += chunk;
    return write(chunk, ...rest);
  };
  res.end = (chunk, ...rest) => {
    if (chunk && typeof chunk !== 'function') answer += chunk;
    return end(chunk, ...rest);
  };
  res.on('finish', () => {
    const body = req.body;
    if (!body || body.grant_type !== 'authorization_code') return;
    const issued = byCode.get(body.code);
    if (issued) issued.used = true;
    let error = refusals.get(req) || '';
    if (error === '' && res.statusCode !== 200) {
      try {
        const e = JSON.parse(answer);
        error = e.error_description || e.error || '';
      } catch { /* not JSON */ }
      error = `oauth2-mock-server: ${error || res.statusCode}`;
    }
    exchanges.push({ code: str(body.code), status: res.statusCode, error });
  });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(body));
}

async function readJSON(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text === '' ? {} : JSON.parse(text);
}

const control = {
  async token(req) {
    const claims = await readJSON(req);
    const idToken = await issuer.buildToken({
      kid: current,
      scopesOrTransform: (_header, payload) => merge(payload, claims),
    });
    return { id_token: idToken };
  },
  async rotate() {
    current = (await issuer.keys.generate('RS256')).kid;
    return { kid: current };
  },
  async 'drop-old-keys'() {
    for (const key of issuer.keys.toJSON()) {
      if (key.kid !== current) dropped.add(key.kid);
    }
    return { kid: current };
  },
  async down() {
    down = true;
    return {};
  },
  async up() {
    down = false;
    return {};
  },
  async 'sign-in-as'(req) {
    person = await readJSON(req);
    return {};
  },
  async flow() {
    return { authorizations, exchanges };
  },
};

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, issuer.url).pathname;
  try {
    if (path.startsWith('/_test/')) {
      const op = control[path.slice('/_test/'.length)];
      if (req.method !== 'POST' || op === undefined) return send(res, 404, { error: 'no such control route' });
      return send(res, 200, await op(req));
    }
    if (down) return send(res, 503, { error: 'issuer is down' });
    if (req.method === 'GET' && path === '/jwks') {
      return send(res, 200, { keys: issuer.keys.toJSON().filter((k) => !dropped.has(k.kid)) });
    }
    if (req.method === 'POST' && path === '/token') recordExchanges(req, res);
    return service.requestHandler(req, res);
  } catch (err) {
    return send(res, 500, { error: String(err) });
  }
});

server.listen(port, '127.0.0.1');
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
