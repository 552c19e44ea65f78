// A stand-in DigiD broker for the test suite: panva's oidc-provider (a certified OpenID
// Provider) with one confidential client and a tiny login page where the tester types a BSN and
// picks a DigiD level. Everything is kept in memory and thrown away on exit.
//
// Environment: OIDC_PORT (0 = let the OS pick), OIDC_ISSUER (default http://127.0.0.1:PORT),
// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS and OIDC_POST_LOGOUT_REDIRECT_URIS
// (space separated). Prints "READY <issuer>" on stdout once it accepts connections.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider, { errors } from 'oidc-provider';

// DigiD's levels, weakest first, as the SAML authentication context classes brokers send as acr.
const LEVELS = [
  ['Basis', 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'],
  ['Midden', 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract'],
  ['Substantieel', 'urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard'],
  ['Hoog', 'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI'],
];
const DEFAULT_LEVEL = 'Midden';

const env = process.env;
const words = (value) => (value || '').split(/\s+/).filter(Boolean);

function required(name) {
  if (!env[name]) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return env[name];
}

const clientId = required('OIDC_CLIENT_ID');
const clientSecret = required('OIDC_CLIENT_SECRET');
const redirectUris = words(required('OIDC_REDIRECT_URIS'));
const postLogoutRedirectUris = words(env.OIDC_POST_LOGOUT_REDIRECT_URIS);

const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
</head>
<body>
  <main>
${body}
  </main>
</body>
</html>`;
}

function loginPage(uid, { error, bsn = '', level = DEFAULT_LEVEL } = {}) {
  const options = LEVELS.map(([name]) => `<option value="${name}"${name === level ? ' selected' : ''}>${name}</option>`).join('');
  // aria-describedby/aria-invalid tie the error to the field for screen readers.
  const errorHtml = error ? `<p id="bsn-error" role="alert">${escapeHtml(error)}</p>` : '';
  const invalid = error ? ' aria-invalid="true" aria-describedby="bsn-error"' : '';
  return page('Inloggen met DigiD (testomgeving)', `    <h1>Inloggen met DigiD (testomgeving)</h1>
    ${errorHtml}
    <form method="post" action="/interaction/${escapeHtml(uid)}/login">
      <p><label for="bsn">BSN</label>
        <input id="bsn" name="bsn" type="text" inputmode="numeric" autocomplete="off" required value="${escapeHtml(bsn)}"${invalid}></p>
      <p><label for="acr">Betrouwbaarheidsniveau</label>
        <select id="acr" name="acr">${options}</select></p>
      <p><button type="submit">Inloggen</button>
        <button type="submit" formaction="/interaction/${escapeHtml(uid)}/abort" formnovalidate>Annuleren</button></p>
    </form>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new errors.InvalidRequest('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

// Consent is never asked: the portal is first-party, just like at a real DigiD broker. Whatever
// the request still misses gets granted on the spot.
async function grantMissing(provider, details, { accountId, clientId: grantClientId, grantId }) {
  const grant = (grantId && await provider.Grant.find(grantId))
    || new provider.Grant({ accountId, clientId: grantClientId });
  grant.addOIDCScope('openid');
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

// oidc-provider only ships the protocol; the integrator serves the interaction (login) pages.
async function interaction(provider, req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
  const { prompt, params } = details;

  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') return send(res, 200, loginPage(uid));
    if (prompt.name === 'consent') {
      // Only reached on a second authorisation that asks for more than was granted at login.
      const grantId = await grantMissing(provider, prompt.details, {
        accountId: details.session.accountId, clientId: params.client_id, grantId: details.grantId,
      });
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    return send(res, 400, page('Fout', `<p>Onbekende stap: ${escapeHtml(prompt.name)}</p>`));
  }

  if (req.method === 'POST' && action === 'abort') {
    // The relying party gets error=access_denied, as when a user cancels at DigiD.
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }

  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const bsn = (form.get('bsn') || '').trim();
    const levelName = form.get('acr') || DEFAULT_LEVEL;
    // Accept the level's name (what the form sends) or its URN (handy for scripted clients).
    const level = LEVELS.find(([name, urn]) => levelName === name || levelName === urn);
    if (!bsn || !level) {
      return send(res, 400, loginPage(uid, {
        error: !bsn ? 'Vul een BSN in.' : 'Kies een betrouwbaarheidsniveau.', bsn, level: DEFAULT_LEVEL,
      }));
    }
    // No BSN check here on purpose: the portal's own 11-check must be testable with bad numbers.
    // Granting consent in the same step saves a round trip through a consent prompt.
    const grantId = await grantMissing(provider, { missingOIDCScope: words(params.scope) }, {
      accountId: bsn, clientId: params.client_id,
    });
    return provider.interactionFinished(req, res, {
      login: { accountId: bsn, acr: level[1], amr: ['pwd'], remember: false },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  return send(res, 404, page('Niet gevonden', '<p>Niet gevonden.</p>'));
}

function configuration() {
  // A fresh key per run: tests fetch the JWKS from discovery, nothing needs it to be stable.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };

  return {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      // A web client on the authorization code flow may use http:// redirect URIs; only implicit
      // flow web clients are held to https and non-localhost by oidc-provider.
      application_type: 'web',
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // The client needs one registered method, but oidc-provider treats client_secret_basic and
      // client_secret_post as interchangeable for the client, so both work.
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    responseTypes: ['code'],
    scopes: ['openid'],
    pkce: { required: () => true },
    acrValues: LEVELS.map(([, urn]) => urn),
    claims: {
      openid: ['sub', 'bsn'],
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      iss: null,
    },
    // Per OIDC Core, scope-requested claims go to userinfo only when an access token is issued;
    // brokers (and the portal's DIGID_OIDC_FETCH_USERINFO=false) expect them in the ID token too.
    conformIdTokenClaims: false,
    async findAccount(_ctx, id) {
      // The account id is the BSN typed on the login page; brokers put it in sub as well.
      return { accountId: id, claims: async () => ({ sub: id, bsn: id }) };
    },
    jwks: { keys: [signingKey] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    interactions: { url: async (_ctx, i) => `/interaction/${i.uid}` },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // oidc-provider shows a "sign out?" page; tests must not have to click it. logout=yes
        // ends the whole provider session (without it only this client's grant would go and
        // the next authorisation would still sign in silently).
        async logoutSource(ctx, form) {
          const autoForm = form.replace('</form>',
            '<input type="hidden" name="logout" value="yes"/><noscript><button type="submit">Uitloggen</button></noscript></form>');
          ctx.body = page('Uitloggen', `    <p>U wordt uitgelogd…</p>
    ${autoForm}
    <script>document.getElementById('op.logoutForm').submit();</script>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Uitgelogd', '    <h1>U bent uitgelogd</h1>');
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Fout', `    <h1>Er ging iets mis</h1>
${Object.entries(out).map(([k, v]) => `    <p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v)}</p>`).join('\n')}`);
    },
    // Fixed lifetimes, mainly so oidc-provider does not log a notice for each default.
    ttl: {
      AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600, Session: 3600, Grant: 3600,
    },
  };
}

// The provider is built once the socket is bound, so OIDC_PORT=0 works and the issuer carries
// the real port (no race between picking a free port and binding it).
let handler = (_req, res) => { res.writeHead(503); res.end(); };
const server = http.createServer((req, res) => handler(req, res));

server.on('error', (err) => {
  console.error(`oidc broker: ${err.message}`);
  process.exit(1);
});

server.listen(Number(env.OIDC_PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration());
  const oidc = provider.callback();

  handler = async (req, res) => {
    const url = new URL(req.url, issuer);
    if (!url.pathname.startsWith('/interaction/')) return oidc(req, res);
    try {
      return await interaction(provider, req, res, url);
    } catch (err) {
      if (!(err instanceof errors.OIDCProviderError)) console.error(err);
      if (!res.headersSent) {
        send(res, err.statusCode || 500, page('Fout', `    <h1>Er ging iets mis</h1>\n    <p>${escapeHtml(err.error_description || err.message)}</p>`));
      }
      return undefined;
    }
  };

  console.log(`READY ${issuer}`);
});

function shutdown() {
  // Keep-alive sockets would hold close() open; the test run wants us gone now.
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
