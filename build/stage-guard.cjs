// Serverless Framework plugin: a stage other than `local` is never packaged or deployed with local
// values. Before anything is built, every variable that names where the service lives is checked
// (as the deploying shell has it, after osls has loaded `.env.<stage>`, the stage's values file:
// `useDotenv` in serverless.yml, example in .env.example): missing, or pointing at localhost
// (localhost, *.localhost, 127.0.0.0/8, [::1], 0.0.0.0) → the command fails naming every one.
// Without this, a shell that lacks them ships the table's local defaults (APP_URL
// http://localhost:5173, a `localhost` passkey domain, mail from no-reply@localhost).

/** Must be set for a real stage. */
const REQUIRED = ['APP_URL', 'API_URL', 'EMAIL_FROM', 'CORS_ALLOWED_ORIGINS', 'WEBAUTHN_RP_ID'];
/** May be unset (they have derived defaults), but never local. */
const OPTIONAL = ['OAUTH_REDIRECT_ORIGINS', 'WEBAUTHN_ORIGINS'];

const LOCAL_HOST = /^(localhost|.+\.localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|::1|0\.0\.0\.0)$/i;

/** The host names a value mentions: URLs and origins (comma-separated), an email, or a bare domain. */
function hostsOf(value) {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const address = /<([^>]+)>/.exec(part)?.[1] ?? part;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
        try {
          return new URL(address).hostname;
        } catch {
          return address;
        }
      }
      if (address.includes('@')) return address.slice(address.lastIndexOf('@') + 1);
      return address.replace(/:\d+$/, '');
    });
}

/** The problems of `env` for a real stage, one per variable. */
function localValueProblems(env) {
  const problems = [];
  for (const name of [...REQUIRED, ...OPTIONAL]) {
    const value = (env[name] ?? '').trim();
    if (value === '') {
      if (REQUIRED.includes(name)) problems.push(`${name} is missing`);
      continue;
    }
    if (hostsOf(value).some((host) => LOCAL_HOST.test(host)))
      problems.push(`${name} points at localhost (${value})`);
  }
  return problems;
}

class StageGuard {
  constructor(serverless, options) {
    const check = () => {
      const stage = options?.stage ?? serverless.service.provider.stage;
      if (stage === 'local') return;
      const problems = localValueProblems(process.env);
      if (problems.length === 0) return;
      throw new serverless.classes.Error(
        `Stage "${stage}" would ship local values:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
          `Set them in the environment or in .env.${stage} (see .env.example), or use --stage local.`,
      );
    };
    this.hooks = {
      'before:package:initialize': check,
      'before:deploy:deploy': check,
    };
  }
}

module.exports = StageGuard;
module.exports.localValueProblems = localValueProblems;
