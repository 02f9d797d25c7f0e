/**
 * The operators' commands (`npm run admin -- <command> <email|userId>`): one Lambda function each,
 * with no HTTP route, so only an IAM principal allowed `lambda:InvokeFunction` on it can run one.
 * serverless.yml, the route table's WORKERS and the CLI (dev/admin.ts) follow this table.
 */
export const ADMIN_COMMANDS = [
  { command: 'find', fn: 'admin-find', summary: 'What an account looks like (no hash, secret or token)' },
  {
    command: 'disable',
    fn: 'admin-disable',
    summary: 'Refuse every sign-in and session (--reason TEXT); sessions die',
  },
  { command: 'enable', fn: 'admin-enable', summary: 'Undo disable' },
  {
    command: 'unlock',
    fn: 'admin-unlock',
    summary: 'Clear the log-in back-off and the re-authentication counter',
  },
  { command: 'revoke-sessions', fn: 'admin-revoke-sessions', summary: 'Revoke every session of the account' },
  { command: 'delete', fn: 'admin-delete', summary: 'Delete the account and everything it owns' },
  { command: 'export', fn: 'admin-export', summary: "The account's data, as GET /users/me/export gives it" },
] as const;

export type AdminCommand = (typeof ADMIN_COMMANDS)[number]['command'];

/** What the CLI sends: the account (email or user id), the operator's IAM identity, a reason for `disable`. */
export interface AdminRequest {
  target: string;
  operator: string;
  reason?: string;
}

/** What every command answers: one JSON object, `ok` first. */
export type AdminResult =
  | ({ ok: true; command: AdminCommand } & Record<string, unknown>)
  | {
      ok: false;
      command: AdminCommand;
      error: { code: 'validation_failed' | 'not_found' | 'conflict'; message: string };
    };
