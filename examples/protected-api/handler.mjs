// GET /orders: only requests with a valid access token of the account service reach this code.
// API Gateway's JWT authorizer has checked the signature, iss, aud and exp; the claims are in the
// request context (every value a string: arrays and objects arrive as their JSON-like text).
export const orders = async (event) => {
  const claims = event.requestContext.authorizer.jwt.claims;
  const userId = claims.sub; // the account service's user id
  const sessionId = claims.sid; // the session the token belongs to
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, sessionId, orders: [] }),
  };
};
