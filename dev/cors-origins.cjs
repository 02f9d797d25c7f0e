// Read by serverless.yml (`${file(./dev/cors-origins.cjs):origins}`) when it is resolved, for
// offline, package and deploy alike: API Gateway wants an array, the environment has a string.
module.exports.origins = () =>
  (process.env.CORS_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
