// A local OpenID provider that behaves like the Amazon Cognito user pool the admin uses in production.
//
// It is the certified `oidc-provider` package, configured like Cognito where it matters to the admin:
// RS256 ID tokens with `cognito:groups` (and an Identity Center group-ID attribute) that the userinfo
// answer does not carry, JWT access tokens with `token_use: "access"` and `client_id`, PKCE (S256)
// required, the client authenticating at the token endpoint with HTTP Basic, and Cognito's
// non-standard `/logout?client_id=&logout_uri=`. Test users and passwords come from users.json.
//
// Configuration (environment): OIDC_PORT (required), OIDC_ISSUER (default http://127.0.0.1:PORT),
// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS and OIDC_LOGOUT_URIS (comma-separated; any
// port is accepted on 127.0.0.1/localhost, as for native apps), OIDC_USERS_FILE, OIDC_KEY_FILE (a
// private RSA JWK; generated at start when absent), OIDC_ID_TOKEN_TTL, OIDC_ACCESS_TOKEN_TTL.
// Development only: `PUT /dev/users/<login>` with {"groups": [...]} changes a user's groups.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const port = Number(env.OIDC_PORT || 8003);
const issuer = env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
const clientId = env.OIDC_CLIENT_ID || 'metalfests-admin';
const clientSecret = env.OIDC_CLIENT_SECRET || 'local-client-secret';
const list = (value, fallback) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : fallback);
const redirectUris = list(env.OIDC_REDIRECT_URIS, ['http://127.0.0.1:8000/oidc/callback/', 'http://localhost:8000/oidc/callback/']);
const logoutUris = list(env.OIDC_LOGOUT_URIS, ['http://127.0.0.1:8000/admin/login/', 'http://localhost:8000/admin/login/']);
const API_RESOURCE = 'urn:metalfests:admin-api';

// --- users -------------------------------------------------------------------------------------
const usersFile = env.OIDC_USERS_FILE || path.join(here, 'users.json');
const users = new Map(JSON.parse(fs.readFileSync(usersFile, 'utf8')).users.map((u) => [u.login, u]));
const bySub = (sub) => [...users.values()].find((u) => u.sub === sub);

function claimsOf(user, use) {
  const claims = {
    sub: user.sub,
    email: user.email,
    email_verified: false, // federated emails are not verified: the admin must match on `sub`
    name: user.name,
    'cognito:username': user.login,
  };
  if (use === 'id_token') {
    // Like Cognito: groups are in the ID token only, never in the userinfo answer.
    claims['cognito:groups'] = [...user.groups];
    claims['custom:groups'] = (user.idcGroups || []).join(',');
    claims.token_use = 'id';
  }
  return claims;
}

// --- signing key -------------------------------------------------------------------------------
function signingKey() {
  if (env.OIDC_KEY_FILE && fs.existsSync(env.OIDC_KEY_FILE)) {
    return JSON.parse(fs.readFileSync(env.OIDC_KEY_FILE, 'utf8'));
  }
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: crypto.randomUUID() };
  if (env.OIDC_KEY_FILE) fs.writeFileSync(env.OIDC_KEY_FILE, JSON.stringify(jwk), { mode: 0o600 });
  return jwk;
}

// --- the provider ------------------------------------------------------------------------------
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: logoutUris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signingKey()] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  conformIdTokenClaims: false, // put the scope's claims (groups) in the ID token of the code flow
  claims: {
    openid: ['sub', 'cognito:username', 'cognito:groups', 'custom:groups', 'token_use'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  scopes: ['openid', 'email', 'profile'],
  ttl: {
    IdToken: Number(env.OIDC_ID_TOKEN_TTL || 3600),
    AccessToken: Number(env.OIDC_ACCESS_TOKEN_TTL || 3600),
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 12 * 3600,
    Grant: 12 * 3600,
  },
  async findAccount(_ctx, sub) {
    const user = bySub(sub);
    if (!user) return undefined;
    return { accountId: sub, claims: async (use) => claimsOf(user, use) };
  },
  // Cognito asks no consent of first-party apps: grant what the client asked for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['cognito:groups', 'custom:groups', 'cognito:username', 'token_use', 'email', 'email_verified', 'name']);
    grant.addResourceScope(API_RESOURCE, 'admin');
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // Cognito's /logout asks nothing: submit the confirmation at once.
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html><head><title>Signing out</title></head><body>${form}
<noscript><button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button></noscript>
<script>const f=document.getElementById('op.logoutForm');const i=document.createElement('input');
i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();</script></body></html>`;
      },
    },
    resourceIndicators: {
      enabled: true,
      // Every code-flow access token is a JWT for the admin API, as Cognito's are.
      defaultResource: () => API_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== API_RESOURCE) throw new Error(`unknown resource ${resource}`);
        return {
          scope: 'admin',
          accessTokenFormat: 'jwt',
          accessTokenTTL: Number(env.OIDC_ACCESS_TOKEN_TTL || 3600),
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  async extraTokenClaims(_ctx, token) {
    const user = token.accountId && bySub(token.accountId);
    if (!user) return undefined;
    return { token_use: 'access', username: user.login, 'cognito:groups': [...user.groups] };
  },
});

// oidc-provider treats client_secret_basic and client_secret_post alike; be strict, so a client
// that posts its secret in the body instead of using HTTP Basic is caught here, not in production.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/token' && !/^Basic /i.test(ctx.get('authorization'))) {
    ctx.status = 401;
    ctx.body = { error: 'invalid_client', error_description: 'use HTTP Basic client authentication' };
    return;
  }
  await next();
});

// Any port on a loopback host: the test server listens on a free port.
const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
function allowed(value, registered) {
  if (registered.includes(value)) return true;
  let url;
  try { url = new URL(value); } catch { return false; }
  if (!loopback.has(url.hostname)) return false;
  return registered.some((r) => {
    const reg = new URL(r);
    return loopback.has(reg.hostname) && reg.hostname === url.hostname && reg.pathname === url.pathname
      && reg.protocol === url.protocol && reg.search === url.search;
  });
}
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) { return allowed(value, this.redirectUris); };
provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutAllowed(value) {
  return allowed(value, this.postLogoutRedirectUris);
};

// --- sign-in page and the Cognito-like routes ----------------------------------------------------
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, clientName, error) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in — local provider</title></head>
<body><h1>Sign in to ${escape(clientName)}</h1>
<p>Local OpenID provider (stands in for Cognito + IAM Identity Center). Users: devtools/oidc/users.json.</p>
${error ? `<p id="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label>Username <input id="username" name="login" required autofocus></label>
<label>Password <input id="password" name="password" type="password" required></label>
<button id="sign-in" type="submit">Sign in</button></form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 1e5) throw new Error('form too large');
  }
  return req.headers['content-type']?.includes('json') ? JSON.parse(body || '{}') : Object.fromEntries(new URLSearchParams(body));
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'interaction mismatch');
  if (details.prompt.name !== 'login') {
    // Consent is implied (see loadExistingGrant); finish the interaction.
    return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET') return send(res, 200, loginPage(uid, details.params.client_id));
  if (action !== 'login') return send(res, 404, 'not found');
  const form = await readForm(req);
  const user = users.get(form.login);
  const ok = user && crypto.timingSafeEqual(
    crypto.createHash('sha256').update(String(form.password ?? '')).digest(),
    crypto.createHash('sha256').update(user.password).digest(),
  );
  if (!ok) return send(res, 200, loginPage(uid, details.params.client_id, 'Wrong username or password.'));
  return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
}

function cognitoLogout(req, res, url) {
  // GET /logout?client_id=&logout_uri= → the standard end-session endpoint, auto-confirmed.
  const target = new URL('/session/end', issuer);
  target.searchParams.set('client_id', url.searchParams.get('client_id') || '');
  const logoutUri = url.searchParams.get('logout_uri');
  if (logoutUri) target.searchParams.set('post_logout_redirect_uri', logoutUri);
  res.writeHead(302, { location: target.toString() });
  res.end();
}

async function devUsers(req, res, login) {
  const user = users.get(login);
  if (!user) return send(res, 404, '{"error":"no such user"}', 'application/json');
  if (req.method === 'PUT') {
    const body = await readForm(req);
    if (Array.isArray(body.groups)) user.groups = body.groups.map(String);
    if (Array.isArray(body.idcGroups)) user.idcGroups = body.idcGroups.map(String);
  }
  const { password, ...visible } = user;
  return send(res, 200, JSON.stringify(visible), 'application/json');
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
    if (match) return await interaction(req, res, match[1], match[2]);
    if (url.pathname === '/logout' && req.method === 'GET') return cognitoLogout(req, res, url);
    const dev = url.pathname.match(/^\/dev\/users\/([^/]+)$/);
    if (dev) return await devUsers(req, res, decodeURIComponent(dev[1]));
    if (url.pathname === '/health') return send(res, 200, '{"ok":true}', 'application/json');
    return callback(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 400, `<p>${escape(err.message || err)}</p>`);
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, issuer, port, clientId }));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
