// An OpenID Connect issuer for Loupe's tests: oauth2-mock-server's issuer and
// request handler (discovery, /jwks, /token, ...) on 127.0.0.1, plus a few
// control routes under /_test/ that the Go test kit (oidctest.go) calls:
//
//   POST /_test/token   {claims}          -> {"id_token"}: an ID token signed with the
//                                           current key; claims are merged over iss, iat,
//                                           nbf and exp (1 h), and a null claim is removed
//   POST /_test/rotate                    -> {"kid"}: adds a new RS256 key and signs with it
//                                           from now on; the old keys stay in the JWKS
//   POST /_test/drop-old-keys             -> {"kid"}: removes every key but the current one
//                                           from the JWKS
//   POST /_test/down, POST /_test/up      -> {}: while down, every other route answers 503
//
// Usage: node server.mjs PORT
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

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
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
      scopesOrTransform: (_header, payload) => {
        for (const [name, value] of Object.entries(claims)) {
          if (value === null) delete payload[name];
          else payload[name] = value;
        }
      },
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
    return service.requestHandler(req, res);
  } catch (err) {
    return send(res, 500, { error: String(err) });
  }
});

server.listen(port, '127.0.0.1');
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
