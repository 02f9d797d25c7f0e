// Read by serverless.yml (`${file(./build/api-domain.cjs):…}`) when it is resolved: the HTTP
// API's optional custom domain. Browsers send the API's SameSite=Strict refresh cookie only
// when the app and the API are one site (app.example.com and auth.example.com), and
// `<id>.execute-api.<region>.amazonaws.com` is a site of its own (execute-api.<region>.amazonaws.com
// is on the Public Suffix List): the cookie transport needs the API on a domain of the app's.
// See README, "A domain for the API".

const domain = () => (process.env.API_DOMAIN ?? '').trim();

/** `true` when API_DOMAIN is set (the CloudFormation condition's input). */
module.exports.enabled = () => String(domain() !== '');

/** The domain, checked: a host name, nothing else. */
module.exports.domain = () => {
  const value = domain();
  if (value !== '' && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(value))
    throw new Error(`API_DOMAIN must be a host name such as auth.example.com, got ${JSON.stringify(value)}`);
  return value;
};

/**
 * The ACM certificate of API_DOMAIN, required with it: in the stack's region (a regional
 * endpoint), covering the domain (or a wildcard of its parent).
 */
module.exports.certificateArn = () => {
  const arn = (process.env.API_CERTIFICATE_ARN ?? '').trim();
  if (domain() === '') return '';
  if (!/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/.test(arn))
    throw new Error(
      'API_DOMAIN is set: API_CERTIFICATE_ARN must be the ARN of its ACM certificate in the same region (arn:aws:acm:<region>:<account>:certificate/<id>)',
    );
  return arn;
};
