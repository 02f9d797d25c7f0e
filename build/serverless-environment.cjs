// Read by serverless.yml (`environment: ${file(./build/serverless-environment.cjs):environment}`):
// the functions' environment, generated from the one table of configuration variables
// (lib/config-variables.json). A variable with a default takes the deploying shell's value, else
// the default (or the table's `serverless` value). A variable without a default — the datastore
// URL and token, the signing key — is never put in the environment or the template: the
// functions read it at cold start from SSM Parameter Store (lib/parameters.ts), so packaging
// needs no AWS credentials and no secret leaves SSM.
const variables = require('../lib/config-variables.json');

const quoted = (value) => `'${value}'`;

module.exports.environment = () =>
  Object.fromEntries(
    Object.entries(variables).flatMap(([name, { default: fallback, serverless, secret }]) => {
      // Secrets — optional ones too (HOOK_SECRET, a provider's client secret) — come from SSM only.
      if (fallback === undefined || secret) return [];
      return [[name, `\${env:${name}, ${serverless ?? quoted(fallback)}}`]];
    }),
  );
