#!/usr/bin/env node
// A real third-party OpenID provider for Strongbox's end-to-end tests: oauth2-mock-server
// (npm), listening on 127.0.0.1, issuing id_tokens and access tokens non-interactively from its
// token endpoint (grant_type=password gives an id_token for the user, client_credentials an
// access token for the client).
//
//   node start.js --port PORT --users USERS.json [--keys KEYS.json]
//
// USERS.json maps a subject (password-grant username, or client id for client_credentials) to
// extra claims, e.g. {"dillon": {"groups": ["projecta"]}}. Those claims go into its tokens and
// its UserInfo answer. With --keys the signing key is kept in that file (created on first
// start), so a restart serves the same key. Prints one JSON line {"port": N, "issuer": URL} once
// listening; stops on SIGTERM or SIGINT.

'use strict';

const fs = require('node:fs');
const { OAuth2Server } = require('oauth2-mock-server');

function args() {
  const out = { port: 0, users: null, keys: null };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`missing value for ${k}`);
    if (k === '--port') out.port = Number(v);
    else if (k === '--users') out.users = v;
    else if (k === '--keys') out.keys = v;
    else throw new Error(`unknown option ${k}`);
  }
  return out;
}

function payloadOf(jwt) {
  const part = (jwt || '').split('.')[1] || '';
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return {};
  }
}

async function main() {
  const opts = args();
  const users = opts.users ? JSON.parse(fs.readFileSync(opts.users, 'utf8')) : {};
  const server = new OAuth2Server();

  if (opts.keys && fs.existsSync(opts.keys)) {
    for (const jwk of JSON.parse(fs.readFileSync(opts.keys, 'utf8'))) {
      await server.issuer.keys.add(jwk);
    }
  } else {
    await server.issuer.keys.generate('RS256');
    if (opts.keys) {
      fs.writeFileSync(opts.keys, JSON.stringify(server.issuer.keys.toJSON(true)), { mode: 0o600 });
    }
  }

  server.service.on('beforeTokenSigning', (token, req) => {
    const body = req.body || {};
    const subject = body.grant_type === 'client_credentials' ? body.client_id : body.username;
    if (!subject) return;
    token.payload.sub = subject;
    if (body.grant_type === 'client_credentials') {
      token.payload.aud = body.aud || body.client_id;
      token.payload.azp = body.client_id;
    }
    Object.assign(token.payload, users[subject] || {});
  });

  server.service.on('beforeUserinfo', (userInfoResponse, req) => {
    const auth = req.headers.authorization || '';
    const sub = payloadOf(auth.replace(/^Bearer /, '')).sub;
    if (!sub) {
      userInfoResponse.statusCode = 401;
      userInfoResponse.body = { error: 'invalid_token' };
      return;
    }
    userInfoResponse.body = { sub, ...(users[sub] || {}) };
  });

  await server.start(opts.port, '127.0.0.1');
  const port = server.address().port;
  server.issuer.url = `http://127.0.0.1:${port}`;
  process.stdout.write(`${JSON.stringify({ port, issuer: server.issuer.url })}\n`);

  const stop = async () => {
    // Idle keep-alive connections may hold stop() open: leave within 2 s regardless.
    setTimeout(() => process.exit(0), 2000).unref();
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`oidc provider: ${e.stack || e}\n`);
  process.exit(1);
});
