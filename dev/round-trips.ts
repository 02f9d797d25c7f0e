import type { RoundTrips, Route } from '../lib/routes';

/** A round-trip budget as the round-trip test asserts it and the bench reports against it. */
export interface RoundTripBudget {
  roundTrips: number;
  /** `roundTrips` exactly; otherwise at most. */
  exact: boolean;
}

const isBudget = (value: Route['roundTrips']): value is RoundTrips =>
  typeof value === 'number' || 'atMost' in value;

/**
 * The budget of `route` (its `roundTrips` in lib/routes.ts) for the named case: a route with
 * cases needs one of them, a route with one budget takes none. Throws on any other name, so a
 * budget cannot be read from a case the table does not have.
 */
export function roundTripBudget(route: Pick<Route, 'fn' | 'roundTrips'>, path?: string): RoundTripBudget {
  const { roundTrips } = route;
  let budget: RoundTrips | undefined;
  if (isBudget(roundTrips)) budget = path === undefined ? roundTrips : undefined;
  else budget = path === undefined ? undefined : roundTrips[path];
  if (budget === undefined)
    throw new Error(
      `${route.fn} has no round-trip budget ${path === undefined ? 'without a case' : `for the case "${path}"`}`,
    );
  return typeof budget === 'number'
    ? { roundTrips: budget, exact: true }
    : { roundTrips: budget.atMost, exact: false };
}

/** Whether `measured` round trips keep to `budget`. */
export const keepsTo = (budget: RoundTripBudget, measured: number): boolean =>
  budget.exact ? measured === budget.roundTrips : measured <= budget.roundTrips;

/** The budget as a target: `= 1`, `≤ 3`. */
export const describeBudget = (budget: RoundTripBudget): string =>
  `${budget.exact ? '=' : '≤'} ${budget.roundTrips}`;

/** A route's whole `roundTrips`, as the README's route table shows it: `1`, `≤ 3`, `name: 1`. */
export function describeRoundTrips(roundTrips: Route['roundTrips']): string {
  const one = (budget: RoundTrips) => (typeof budget === 'number' ? String(budget) : `≤ ${budget.atMost}`);
  return isBudget(roundTrips)
    ? one(roundTrips)
    : Object.entries(roundTrips)
        .map(([path, budget]) => `${path}: ${one(budget)}`)
        .join(', ');
}
