import { awsErrorOf, createAwsService } from './aws';
import { CONFIG_VARIABLES, type VariableName } from './config';

/**
 * The variables without a default — the datastore's URL and token, the signing key — are the
 * deployment's own, and two of them are secrets: in AWS they live in SSM Parameter Store, never
 * in the Lambda environment or the CloudFormation template.
 */
export const SSM_VARIABLES = (Object.keys(CONFIG_VARIABLES) as VariableName[]).filter(
  // Optional secrets (HOOK_SECRET) too: a secret never travels in the environment.
  (name) => CONFIG_VARIABLES[name].default === undefined || CONFIG_VARIABLES[name].secret,
);

/**
 * Whether `name` is read from SSM for `env`: a variable without a default always; an optional
 * secret (a provider's client secret) only when the variable it goes with (`ssmWhen`: the
 * provider's client id) is set, so a deployment without that provider needs no parameter for it.
 */
const wanted = (env: Record<string, string | undefined>, name: VariableName): boolean => {
  const { default: fallback, ssmWhen } = CONFIG_VARIABLES[name];
  if (fallback === undefined) return true;
  // A secret tied to a provider only with its client id; another optional secret (HOOK_SECRET) always.
  return ssmWhen !== undefined ? Boolean(env[ssmWhen]) : CONFIG_VARIABLES[name].secret;
};

/** The SSM parameter of a variable: `<prefix>/<name in kebab case>`, e.g. `/account-service/prod/jwt-private-key`. */
export const ssmParameterName = (prefix: string, name: VariableName): string =>
  `${prefix.replace(/\/+$/, '')}/${name.toLowerCase().replaceAll('_', '-')}`;

/** The longest a cold start waits for SSM (two retries included) before the request answers 503. */
export const SSM_TIMEOUT_MS = 5000;

/** The variables `resolveParameters` would fetch from SSM for `env`: none when all are set or no prefix is. */
export function parametersToFetch(env: Record<string, string | undefined>): VariableName[] {
  if (!env.SSM_PARAMETER_PREFIX) return [];
  const missing = SSM_VARIABLES.filter((name) => !env[name] && wanted(env, name));
  // Optional secrets (HOOK_SECRET) ride along with a read that happens anyway; alone they start none.
  return missing.some((name) => CONFIG_VARIABLES[name].default === undefined) ? missing : [];
}

/**
 * The deployment's parameters could not be read: SSM unreachable or refusing, or a parameter
 * missing. `parameters` names every one that was asked for (names only, never a value).
 */
export class ParametersUnavailableError extends Error {
  override name = 'ParametersUnavailableError';
  constructor(
    /** Why: AWS's error type (`AccessDeniedException`), `missing`, or `unreachable`. */
    readonly reason: string,
    readonly parameters: string[],
    message: string,
  ) {
    super(message);
  }
}

/**
 * The environment with the deployment's parameters filled in. A value set in `env` wins (local
 * runs and tests); the others are read once, decrypted (SecureString), from SSM Parameter Store
 * under `SSM_PARAMETER_PREFIX`, in one GetParameters call signed with the function's own
 * credentials (lib/aws.ts: no AWS SDK, whose SSM client alone took 140–228 ms to load). All of
 * them or none: any parameter missing fails the whole read, naming it. Without a prefix the
 * environment is returned as it is, and `parseConfig` names what is missing. The credentials,
 * region and endpoint come from `awsEnv` (the process's environment, as Lambda sets it).
 */
export async function resolveParameters(
  env: Record<string, string | undefined>,
  awsEnv: Record<string, string | undefined> = process.env,
): Promise<Record<string, string | undefined>> {
  const prefix = env.SSM_PARAMETER_PREFIX ?? '';
  const missing = parametersToFetch(env);
  if (missing.length === 0) return env;
  const names = missing.map((name) => ssmParameterName(prefix, name));
  const ssm = createAwsService({ service: 'ssm', retries: 2, env: awsEnv });
  let response: Response;
  try {
    response = await ssm.fetch('/', {
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonSSM.GetParameters' },
      body: JSON.stringify({ Names: names, WithDecryption: true }),
      signal: AbortSignal.timeout(SSM_TIMEOUT_MS),
    });
  } catch (error) {
    const reason = error instanceof Error && error.name === 'MissingCredentials' ? error.name : 'unreachable';
    throw new ParametersUnavailableError(reason, names, `SSM ${reason} reading ${names.join(', ')}`);
  }
  if (!response.ok) {
    const error = await awsErrorOf(response);
    throw new ParametersUnavailableError(
      error.name,
      names,
      `SSM refused reading ${names.join(', ')}: ${error.name}`,
    );
  }
  const { Parameters = [], InvalidParameters = [] } = (await response.json()) as {
    Parameters?: Array<{ Name?: string; Value?: string }>;
    InvalidParameters?: string[];
  };
  const values = new Map(Parameters.map((p) => [p.Name, p.Value]));
  // An optional secret that is not stored takes its default; a required one must be there.
  const absent = names.filter(
    (name, i) =>
      (InvalidParameters.includes(name) || typeof values.get(name) !== 'string') &&
      CONFIG_VARIABLES[missing[i] as VariableName]?.default === undefined,
  );
  if (absent.length > 0)
    throw new ParametersUnavailableError('missing', absent, `SSM parameters missing: ${absent.join(', ')}`);
  return { ...env, ...Object.fromEntries(missing.map((name, i) => [name, values.get(names[i] as string)])) };
}
