// Read by serverless.yml (`environment: ${file(./build/serverless-environment.cjs):environment}`):
// the functions' environment, generated from the one table of configuration variables
// (lib/config-variables.json). Each entry is a Serverless variable that takes the deploying
// shell's value, else the table's default; a secret without a value there comes from SSM
// Parameter Store under the stage's prefix (`ssmPrefix`), named after the variable in kebab case.
const variables = require('../lib/config-variables.json');

const kebab = (name) => name.toLowerCase().replaceAll('_', '-');

module.exports.environment = () =>
  Object.fromEntries(
    Object.entries(variables).map(([name, { default: fallback, secret }]) => {
      if (secret || fallback === undefined)
        return [name, `\${env:${name}, ssm:\${param:ssmPrefix}/${kebab(name)}}`];
      return [name, `\${env:${name}, ${JSON.stringify(fallback).replaceAll('"', "'")}}`];
    }),
  );
