// A real OpenID provider (the oidc-provider package) for the end-to-end
// tests of dashboard single sign-on (tests/tests/oidc.rs). It listens on a
// free loopback port and prints `listening on <issuer>` once ready.
//
// One static confidential client and one person, set by the environment:
//   OIDC_REDIRECT_URI   the platform's callback (required)
//   OIDC_CLIENT_ID      default `fatigue-dashboard`
//   OIDC_CLIENT_SECRET  default `test-client-secret`
//   OIDC_SUBJECT        the person's `sub`, default `officer-4711`
//   OIDC_ROLES          comma-separated values of the `fatigue_roles` claim
//   OIDC_MODE           normal | bad-signature | wrong-audience | no-nonce
//
// The login is automatic (no form): the interaction route signs the test
// person in, and the client is first-party, so no consent is asked.
//
// The modes other than `normal` are test hooks on the token endpoint's
// answer: the ID token is re-signed after one change, so the platform sees
// a token a faulty or hostile provider could send:
//   bad-signature   same claims, signed by a key the provider does not
//                   publish (same `kid`);
//   wrong-audience  `aud` is another client's, signed with the real key;
//   no-nonce        the `nonce` claim removed, signed with the real key.
import http from 'node:http';
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';

const env = process.env;
const redirectUri = env.OIDC_REDIRECT_URI;
if (!redirectUri) {
  console.error('OIDC_REDIRECT_URI is required');
  process.exit(2);
}
const clientId = env.OIDC_CLIENT_ID || 'fatigue-dashboard';
const clientSecret = env.OIDC_CLIENT_SECRET || 'test-client-secret';
const subject = env.OIDC_SUBJECT || 'officer-4711';
const roles = (env.OIDC_ROLES || '').split(',').filter(Boolean);
const mode = env.OIDC_MODE || 'normal';
const MODES = ['normal', 'bad-signature', 'wrong-audience', 'no-nonce'];
if (!MODES.includes(mode)) {
  console.error(`OIDC_MODE: one of ${MODES.join(', ')}`);
  process.exit(2);
}

const KID = 'test-key-1';
const signing = await generateKeyPair('RS256', { extractable: true });
const stranger = await generateKeyPair('RS256', { extractable: true });
const publishedJwk = { ...(await exportJWK(signing.privateKey)), kid: KID, alg: 'RS256', use: 'sig' };

// The issuer names the port, so listen first.
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [publishedJwk] },
  // The role claim is released with `openid` and put in the ID token (not
  // only at userinfo), as the platform reads it from the ID token.
  claims: { openid: ['sub', 'fatigue_roles'] },
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, fatigue_roles: roles }; } };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  // First-party client: the grant is made without a consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid');
    grant.addOIDCClaims(['fatigue_roles']);
    await grant.save();
    return grant;
  },
  cookies: { keys: ['oidc-test-provider-cookie-key'] },
  pkce: { required: () => true },
});

async function tamper(idToken) {
  const payload = decodeJwt(idToken);
  const header = decodeProtectedHeader(idToken);
  let key = signing.privateKey;
  if (mode === 'bad-signature') key = stranger.privateKey;
  if (mode === 'wrong-audience') payload.aud = 'another-client';
  if (mode === 'no-nonce') delete payload.nonce;
  return new SignJWT(payload).setProtectedHeader({ alg: header.alg, kid: header.kid }).sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  if (mode !== 'normal' && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token) };
  }
});

const callback = provider.callback();
server.on('request', async (req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/interaction/')) {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
      await provider.interactionFinished(req, res, { login: { accountId: subject } }, { mergeWithLastSubmission: false });
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
    return;
  }
  callback(req, res);
});

console.log(`listening on ${issuer}`);
