// Read by serverless.yml (`${file(./build/custom-claims-hook.cjs):invokeResource}`): the Lambda
// function the request functions may invoke synchronously as the custom claims hook
// (HOOK_CUSTOM_CLAIMS, lib/hooks/). A function name becomes its ARN in this stack's account and
// region; an ARN stays as it is. With no Lambda hook (none, or a URL) the statement names a
// function that does not exist (`account-service-no-claims-hook`), so it grants nothing.
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:/;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

module.exports.invokeResource = () => {
  const hook = (process.env.HOOK_CUSTOM_CLAIMS ?? '').trim();
  if (LAMBDA_ARN.test(hook)) return hook;
  const name = hook && !URL_SCHEME.test(hook) ? hook : 'account-service-no-claims-hook';
  const partOf = (ref) => ({ Ref: ref });
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        partOf('AWS::Partition'),
        ':lambda:',
        partOf('AWS::Region'),
        ':',
        partOf('AWS::AccountId'),
        `:function:${name}`,
      ],
    ],
  };
};
