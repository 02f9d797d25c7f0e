// Read by serverless.yml (`${file(./build/cors-origins.cjs):cors}`) when it is resolved, for
// offline, package and deploy alike. API Gateway wants an array of origins where the
// environment has a comma-separated string, and no CORS block at all when there is none
// (an empty `allowedOrigins` is refused by serverless-offline's route validation). The policy
// itself is lib/cors.json, which the functions' own CORS middleware reads too.
const policy = require('../lib/cors.json');

module.exports.cors = () => {
  const allowedOrigins = (process.env.CORS_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (allowedOrigins.length === 0) return false;
  return {
    allowedOrigins,
    allowedHeaders: policy.allowedHeaders,
    allowedMethods: policy.allowedMethods,
    exposedResponseHeaders: policy.exposedHeaders,
    maxAge: policy.maxAgeSeconds,
    // The cookie transport needs credentialed requests. API Gateway then answers
    // Access-Control-Allow-Credentials to the listed origins only, and refuses it with `*`
    // (with `*`, no origin may use the cookie: lib/cookies/transport.ts).
    allowCredentials: !allowedOrigins.includes('*'),
  };
};
