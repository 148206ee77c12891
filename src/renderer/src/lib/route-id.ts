/**
 * A library id read from the address (`#/runs/12`, `?dataset=3`): a whole number from 1, or null.
 * Kept apart from the router, which listens to the window when imported, so that pure view code
 * and its tests can read addresses too.
 */
export function routeId(part: string | undefined): number | null {
  const id = Number(part);
  return Number.isInteger(id) && id > 0 ? id : null;
}
