import { CONFIG_VARIABLES, type VariableName } from './config';

/**
 * The variables without a default — the datastore's URL and token, the signing key — are the
 * deployment's own, and two of them are secrets: in AWS they live in SSM Parameter Store, never
 * in the Lambda environment or the CloudFormation template.
 */
export const SSM_VARIABLES = (Object.keys(CONFIG_VARIABLES) as VariableName[]).filter(
  (name) => CONFIG_VARIABLES[name].default === undefined || CONFIG_VARIABLES[name].secret,
);

/**
 * Whether `name` is read from SSM for `env`: a variable without a default always; an optional
 * secret (a provider's client secret) only when the variable it goes with (`ssmWhen`: the
 * provider's client id) is set, so a deployment without that provider needs no parameter for it.
 */
const wanted = (env: Record<string, string | undefined>, name: VariableName): boolean => {
  const { default: fallback, ssmWhen } = CONFIG_VARIABLES[name];
  return fallback === undefined || (ssmWhen !== undefined && Boolean(env[ssmWhen]));
};

/** The SSM parameter of a variable: `<prefix>/<name in kebab case>`, e.g. `/account-service/prod/jwt-private-key`. */
export const ssmParameterName = (prefix: string, name: VariableName): string =>
  `${prefix.replace(/\/+$/, '')}/${name.toLowerCase().replaceAll('_', '-')}`;

/**
 * The environment with the deployment's parameters filled in. A value set in `env` wins (local
 * runs and tests); the others are read once, decrypted (SecureString), from SSM Parameter Store
 * under `SSM_PARAMETER_PREFIX`, in one GetParameters call through the AWS SDK that the Lambda
 * runtime provides (not bundled; Powertools Parameters would add 12 KiB to every bundle for this
 * one call). The SDK is loaded only when something must be fetched: local runs never load it. Without a prefix the environment is returned as it is, and `parseConfig` names what is missing.
 */
/** The variables `resolveParameters` would fetch from SSM for `env`: none when all are set or no prefix is. */
export const parametersToFetch = (env: Record<string, string | undefined>): VariableName[] =>
  env.SSM_PARAMETER_PREFIX ? SSM_VARIABLES.filter((name) => !env[name] && wanted(env, name)) : [];

export async function resolveParameters(
  env: Record<string, string | undefined>,
): Promise<Record<string, string | undefined>> {
  const prefix = env.SSM_PARAMETER_PREFIX ?? '';
  const missing = parametersToFetch(env);
  if (missing.length === 0) return env;
  const { SSMClient, GetParametersCommand } = await import('@aws-sdk/client-ssm');
  const names = missing.map((name) => ssmParameterName(prefix, name));
  const { Parameters = [], InvalidParameters = [] } = await new SSMClient({}).send(
    new GetParametersCommand({ Names: names, WithDecryption: true }),
  );
  if (InvalidParameters.length > 0)
    throw new Error(`SSM parameters missing: ${InvalidParameters.join(', ')}`);
  const values = Object.fromEntries(Parameters.map((p) => [p.Name, p.Value]));
  return {
    ...env,
    ...Object.fromEntries(missing.map((name, i) => [name, values[names[i] as string]])),
  };
}
