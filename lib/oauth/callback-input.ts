import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import type { HttpEvent } from '../http';
import { MAX_BODY_BYTES } from '../request-body';

const FORM = 'application/x-www-form-urlencoded';

/** The members a callback reads; each may appear once, and none is longer than this. */
const MEMBERS = ['state', 'code', 'error', 'error_description', 'iss', 'user'];
const MAX_MEMBER_LENGTH = 4096;

/**
 * A provider's callback parameters: the query of a GET, or the form of a POST (Apple's
 * `response_mode=form_post`). A member named twice or too long is a 400 naming it; other members
 * (providers add their own) are ignored. `state` is checked by the service.
 */
export function callbackParameters(event: HttpEvent, form: boolean): URLSearchParams {
  let params: URLSearchParams;
  if (!form) {
    params = new URLSearchParams(event.rawQueryString ?? '');
  } else {
    const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
    const [mediaType = ''] = (event.headers?.['content-type'] ?? '').toLowerCase().split(';');
    if (mediaType.trim() !== FORM) throw new UnsupportedMediaTypeError([FORM]);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ValidationError([{ field: '(body)', message: 'must be UTF-8' }]);
    }
    params = new URLSearchParams(text);
  }
  const problems = MEMBERS.flatMap((field) => {
    const values = params.getAll(field);
    if (values.length > 1) return [{ field, message: 'must appear once' }];
    if ((values[0] ?? '').length > MAX_MEMBER_LENGTH) return [{ field, message: 'is too long' }];
    return [];
  });
  if (problems.length > 0) throw new ValidationError(problems);
  return params;
}
