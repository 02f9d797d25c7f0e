import emailValidator from 'email-validator';
import { z } from 'zod';
import { PASSWORD_MAX_LENGTH } from './config';
import { type FieldError, ValidationError } from './errors';

/** Counts Unicode code points, not UTF-16 units: "é" and "😀" are one character each. */
export const codePointLength = (text: string): number => [...text].length;

/** Canonical email: trim → NFKC → lowercase. Uniqueness and log-in compare this form. */
export const canonicalEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase();

const CONTROL_CHARACTERS = /\p{Cc}/u;

export const Name = z
  .string({ error: 'must be a string' })
  .transform((name) => name.trim())
  .refine((name) => codePointLength(name) >= 1, 'must not be empty')
  .refine((name) => codePointLength(name) <= 100, 'must be at most 100 characters')
  .refine((name) => !CONTROL_CHARACTERS.test(name), 'must not contain control characters');

export const Email = z
  .string({ error: 'must be a string' })
  .transform(canonicalEmail)
  .refine((email) => email.length <= 254, 'must be at most 254 characters')
  .refine((email) => emailValidator.validate(email), 'must be a valid email address');

/**
 * Shape of a password field only (type and maximum length). The policy that needs context
 * (minimum length, common list, equal to email/name) is `passwords.checkPolicy`.
 * Never trimmed: whitespace is part of the secret.
 */
export const Password = z
  .string({ error: 'must be a string' })
  .refine(
    (password) => codePointLength(password) <= PASSWORD_MAX_LENGTH,
    `must be at most ${PASSWORD_MAX_LENGTH} characters`,
  );

/** A password presented for verification: any string up to the maximum, no policy. */
export const PresentedPassword = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .refine(
    (password) => codePointLength(password) <= PASSWORD_MAX_LENGTH,
    `must be at most ${PASSWORD_MAX_LENGTH} characters`,
  );

export const RegisterBody = z.strictObject({ name: Name, email: Email, password: Password });
export type RegisterBody = z.infer<typeof RegisterBody>;

export const LoginBody = z.strictObject({ email: Email, password: PresentedPassword });
export type LoginBody = z.infer<typeof LoginBody>;

export const RefreshBody = z.strictObject({
  refreshToken: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(512, 'is too long'),
});
export type RefreshBody = z.infer<typeof RefreshBody>;

export const UpdateProfileBody = z
  .strictObject({
    name: Name.optional(),
    email: Email.optional(),
    currentPassword: PresentedPassword.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.name === undefined && body.email === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'must change at least one of name, email' });
    }
    if (body.email !== undefined && body.currentPassword === undefined) {
      ctx.addIssue({ code: 'custom', path: ['currentPassword'], message: 'is required to change the email' });
    }
  });
export type UpdateProfileBody = z.infer<typeof UpdateProfileBody>;

export const ChangePasswordBody = z.strictObject({
  currentPassword: PresentedPassword,
  newPassword: Password,
});
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const DeleteAccountBody = z.strictObject({ password: PresentedPassword });
export type DeleteAccountBody = z.infer<typeof DeleteAccountBody>;

export const SessionId = z.string().regex(/^ses_[A-Za-z0-9_-]{22}$/);

/** Turns zod issues into the `errors` list of a `validation_failed` problem. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const field = issue.path.map(String).join('.') || '(body)';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: field === '(body)' ? key : `${field}.${key}`,
        message: 'is not allowed',
      }));
    }
    if (issue.code === 'invalid_type' && issue.input === undefined)
      return [{ field, message: 'is required' }];
    if (issue.code === 'invalid_type' && field === '(body)')
      return [{ field, message: 'must be a JSON object' }];
    return [{ field, message: issue.message }];
  });
}

/** Validates `input` against `schema`; throws `ValidationError` listing every problem. */
export function parseBody<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrors(result.error));
  return result.data;
}
